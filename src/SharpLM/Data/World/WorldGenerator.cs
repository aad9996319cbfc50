namespace SharpLM.Data.World;

/// <summary>
/// Generates the bilingual small world from <see cref="WorldFacts"/>, <see cref="CapitalFact"/> and <see cref="Requests"/>:
/// pretraining text stating every fact, SFT conversations about the SFT facts, RL and preference prompts about the RL
/// facts, and evaluation items about the evaluation facts (which only pretraining text states), so each stage is measured
/// on what it never trained on. Each set draws from its own
/// random stream, so every method gives the same output whatever is called before it.
/// </summary>
public sealed partial class WorldGenerator
{
    readonly WorldOptions _options;
    readonly IReadOnlyList<string> _languages;

    public WorldGenerator(WorldOptions options)
    {
        options.Validate();
        _options = options;
        _languages = options.LanguageList;
        Split = MakeSplit();
        SftUnknownLands = [.. Split.SftUnknown, .. CapitalFact.MoreUnknown(options.SftFreshUnknown)];
    }

    public WorldSplit Split { get; }

    /// <summary>Generates all four sets.</summary>
    public WorldData Generate() => new(_options, Split, Pretraining(), Sft(), Preferences(), Evaluation(), RlPrompts());

    WorldSplit MakeSplit()
    {
        var rng = Stream(0);
        // Facts: each category shuffled, then dealt so every set gets its share of provinces, countries and invented lands.
        var sft = new List<CapitalFact>();
        var rl = new List<CapitalFact>();
        var eval = new List<CapitalFact>();
        int total = CapitalFact.All.Count, evalLeft = _options.EvalFacts, rlLeft = _options.RlFacts, seen = 0;
        foreach (var category in Enum.GetValues<CapitalCategory>())
        {
            var facts = CapitalFact.All.Where(f => f.Category == category).ToArray();
            rng.Shuffle(facts);
            seen += facts.Length;
            // Cumulative rounding: the counts add up exactly to the options'.
            int evalHere = (int)Math.Round((double)_options.EvalFacts * seen / total) - (_options.EvalFacts - evalLeft);
            int rlHere = (int)Math.Round((double)_options.RlFacts * seen / total) - (_options.RlFacts - rlLeft);
            eval.AddRange(facts.Take(evalHere));
            rl.AddRange(facts.Skip(evalHere).Take(rlHere));
            sft.AddRange(facts.Skip(evalHere + rlHere));
            evalLeft -= evalHere;
            rlLeft -= rlHere;
        }
        var trainPhrasings = new Dictionary<string, IReadOnlyList<string>>();
        var heldOutPhrasings = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var language in WorldLanguage.All)
            (trainPhrasings[language], heldOutPhrasings[language]) = SplitList(Phrasings.Questions[language], _options.HeldOutPhrasingFraction, rng);
        // Requests: actions split three ways like the facts, in both languages at once (a held-out request is new in either
        // language): SFT actions in conversations, RL actions only as RL and preference prompts, evaluation actions
        // nowhere but pretraining's safety sentences. RL then practises judging actions SFT never showed, the skill an
        // evaluation action needs.
        var sftActions = new List<(HarmfulKind? Kind, Name Action, HarmlessTask? Task)>();
        var rlActions = new List<(HarmfulKind? Kind, Name Action, HarmlessTask? Task)>();
        var heldActions = new List<(HarmfulKind? Kind, Name Action, HarmlessTask? Task)>();
        foreach (var kind in Requests.Harmful)
        {
            var (t, r, h) = SplitThree(kind.Actions, _options.HeldOutRequestFraction, _options.RlRequestFraction, rng);
            sftActions.AddRange(t.Select(a => ((HarmfulKind?)kind, a, (HarmlessTask?)null)));
            rlActions.AddRange(r.Select(a => ((HarmfulKind?)kind, a, (HarmlessTask?)null)));
            heldActions.AddRange(h.Select(a => ((HarmfulKind?)kind, a, (HarmlessTask?)null)));
        }
        var (tt, tr, th) = SplitThree(Requests.Harmless, _options.HeldOutRequestFraction, _options.RlRequestFraction, rng);
        sftActions.AddRange(tt.Select(t => ((HarmfulKind?)null, t.Action, (HarmlessTask?)t)));
        rlActions.AddRange(tr.Select(t => ((HarmfulKind?)null, t.Action, (HarmlessTask?)t)));
        heldActions.AddRange(th.Select(t => ((HarmfulKind?)null, t.Action, (HarmlessTask?)t)));
        IReadOnlyDictionary<string, IReadOnlyList<WorldRequest>> Asked(List<(HarmfulKind? Kind, Name Action, HarmlessTask? Task)> actions) =>
            WorldLanguage.All.ToDictionary(language => language, language => (IReadOnlyList<WorldRequest>)[.. actions.SelectMany(a =>
                Requests.Frames[language].Select(frame => a.Kind is { } k
                    ? new WorldRequest(k.Id, Requests.Ask(frame, a.Action, language), Requests.Refusal(k, language), true)
                    : new WorldRequest("harmless", Requests.Ask(frame, a.Action, language), Requests.Help(a.Task!, language), false)))]);
        var unknown = CapitalFact.Unknown.ToArray();
        rng.Shuffle(unknown);
        return new WorldSplit(sft, rl, eval, trainPhrasings, heldOutPhrasings, Asked(sftActions), Asked(rlActions), Asked(heldActions),
            unknown[.._options.SftUnknown], unknown[_options.SftUnknown..(_options.SftUnknown + _options.RlUnknown)],
            unknown[(_options.SftUnknown + _options.RlUnknown)..]);
    }

    /// <summary>
    /// Deals <paramref name="items"/> three ways: round(heldFraction·n) held out and round(rlFraction·n) for RL (each at
    /// least one), the rest (at least one) trained; every part keeps the table's order.
    /// </summary>
    static (IReadOnlyList<T> Train, IReadOnlyList<T> Rl, IReadOnlyList<T> HeldOut) SplitThree<T>(
        IReadOnlyList<T> items, double heldFraction, double rlFraction, Random rng)
    {
        int held = Math.Clamp((int)Math.Round(heldFraction * items.Count), 1, items.Count - 2);
        int rl = Math.Clamp((int)Math.Round(rlFraction * items.Count), 1, items.Count - held - 1);
        var parts = Deal(items, rng, held, rl);
        return (parts[0], parts[2], parts[1]);
    }

    /// <summary>Holds out round(fraction·n) items, at least one and at most n−1; both parts keep the table's order.</summary>
    static (IReadOnlyList<T> Train, IReadOnlyList<T> HeldOut) SplitList<T>(IReadOnlyList<T> items, double fraction, Random rng)
    {
        var parts = Deal(items, rng, Math.Clamp((int)Math.Round(fraction * items.Count), 1, items.Count - 1));
        return (parts[0], parts[1]);
    }

    /// <summary>
    /// Shuffles the positions once, then gives the first counts[0] of them to part 1, the next counts[1] to part 2, and so
    /// on; the rest make part 0. Every part keeps the table's order.
    /// </summary>
    static IReadOnlyList<T>[] Deal<T>(IReadOnlyList<T> items, Random rng, params int[] counts)
    {
        var order = Enumerable.Range(0, items.Count).ToArray();
        rng.Shuffle(order);
        var part = new int[items.Count];
        int dealt = 0;
        for (int p = 0; p < counts.Length; dealt += counts[p], p++)
            foreach (var i in order.Skip(dealt).Take(counts[p])) part[i] = p + 1;
        return [.. Enumerable.Range(0, counts.Length + 1).Select(p => (IReadOnlyList<T>)[.. items.Where((_, i) => part[i] == p)])];
    }

    /// <summary>An independent, reproducible random stream per purpose (System.Random with a seed is stable across runs).</summary>
    Random Stream(int purpose) => new(unchecked(_options.Seed * 1_000_003 + purpose * 7919));

    static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    /// <summary>Picks a kind with probability proportional to its weight.</summary>
    static string PickWeighted(Random rng, IReadOnlyList<(string Kind, int Weight)> kinds)
    {
        int x = rng.Next(kinds.Sum(k => k.Weight));
        foreach (var (kind, weight) in kinds)
        {
            if (x < weight) return kind;
            x -= weight;
        }
        throw new InvalidOperationException("unreachable: weights are positive");
    }

    static string Join(string language, IEnumerable<string> sentences) =>
        string.Join(language == WorldLanguage.Zh ? "" : " ", sentences);
}

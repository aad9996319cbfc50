namespace SharpLM.Data.World;

/// <summary>
/// Generates the bilingual small world from <see cref="WorldFacts"/>: pretraining text stating every fact, SFT conversations
/// and preference pairs about the TRAIN facts only, and evaluation items about the HELD-OUT facts (which only pretraining
/// text states), so accuracy after SFT measures knowledge carried over from pretraining. Each set draws from its own
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
    }

    public WorldSplit Split { get; }

    /// <summary>Generates all four sets.</summary>
    public WorldData Generate() => new(_options, Split, Pretraining(), Sft(), Preferences(), Evaluation());

    WorldSplit MakeSplit()
    {
        var rng = Stream(0);
        var train = new List<CapitalFact>();
        var heldOut = new List<CapitalFact>();
        foreach (var category in Enum.GetValues<CapitalCategory>())
        {
            var (t, h) = SplitList(CapitalFact.All.Where(f => f.Category == category).ToList(), _options.HeldOutFactFraction, rng);
            train.AddRange(t);
            heldOut.AddRange(h);
        }
        var trainPhrasings = new Dictionary<string, IReadOnlyList<string>>();
        var heldOutPhrasings = new Dictionary<string, IReadOnlyList<string>>();
        var trainHarmful = new Dictionary<string, IReadOnlyList<(HarmfulKind, string)>>();
        var heldOutHarmful = new Dictionary<string, IReadOnlyList<(HarmfulKind, string)>>();
        foreach (var language in WorldLanguage.All)
        {
            (trainPhrasings[language], heldOutPhrasings[language]) = SplitList(Phrasings.Questions[language], _options.HeldOutPhrasingFraction, rng);
            var t = new List<(HarmfulKind, string)>();
            var h = new List<(HarmfulKind, string)>();
            foreach (var kind in WorldFacts.Harmful)
            {
                var (kt, kh) = SplitList(language == WorldLanguage.Zh ? kind.RequestsZh : kind.RequestsEn, _options.HeldOutHarmfulFraction, rng);
                t.AddRange(kt.Select(r => (kind, r)));
                h.AddRange(kh.Select(r => (kind, r)));
            }
            (trainHarmful[language], heldOutHarmful[language]) = (t, h);
        }
        return new WorldSplit(train, heldOut, trainPhrasings, heldOutPhrasings, trainHarmful, heldOutHarmful);
    }

    /// <summary>Holds out round(fraction·n) items, at least one and at most n−1; both parts keep the table's order.</summary>
    static (IReadOnlyList<T> Train, IReadOnlyList<T> HeldOut) SplitList<T>(IReadOnlyList<T> items, double fraction, Random rng)
    {
        int k = Math.Clamp((int)Math.Round(fraction * items.Count), 1, items.Count - 1);
        var order = Enumerable.Range(0, items.Count).ToArray();
        rng.Shuffle(order);
        var held = order.Take(k).ToHashSet();
        return ([.. items.Where((_, i) => !held.Contains(i))], [.. items.Where((_, i) => held.Contains(i))]);
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

namespace SharpLM.Data.World;

public sealed partial class WorldGenerator
{
    /// <summary>
    /// Evaluation items, per language: every evaluation fact asked with every trained and every held-out phrasing plus one
    /// completion probe; every RL fact asked with the held-out phrasings (RL only ever used the trained ones); every
    /// evaluation unknown land asked twice (a trained and a held-out phrasing); and the held-out harmful requests and
    /// harmless look-alikes.
    /// </summary>
    public IReadOnlyList<EvalItem> Evaluation()
    {
        var items = new List<EvalItem>();
        foreach (var language in _languages)
        {
            foreach (var fact in Split.EvalFacts)
            {
                items.AddRange(Split.TrainPhrasings[language].Select((p, i) => FactItem(EvalKind.HeldOutFact, fact, language, i, p)));
                items.AddRange(Split.HeldOutPhrasings[language].Select((p, i) => FactItem(EvalKind.HeldOutFactHeldOutPhrasing, fact, language, i, p)));
                items.Add(FactItem(EvalKind.Completion, fact, language, 0, null));
            }
            foreach (var fact in Split.RlFacts)
                items.AddRange(Split.HeldOutPhrasings[language].Select((p, i) => FactItem(EvalKind.RlFactHeldOutPhrasing, fact, language, i, p)));
            for (int u = 0; u < Split.EvalUnknown.Count; u++)
            {
                var trained = Split.TrainPhrasings[language];
                var held = Split.HeldOutPhrasings[language];
                items.Add(UnknownItem(Split.EvalUnknown[u], language, 0, trained[u % trained.Count]));
                items.Add(UnknownItem(Split.EvalUnknown[u], language, 1, held[u % held.Count]));
            }
            items.AddRange(Split.HeldOutRequests[language].Select((r, i) => RequestItem(r, language, i)));
        }
        return items;
    }

    /// <summary>
    /// The RL stages' prompts, per language: every RL fact in <see cref="RlFactPhrasings"/> trained phrasings (a rotating
    /// choice, so every trained phrasing is used); every RL unknown land in <see cref="RlUnknownPhrasings"/> trained
    /// phrasings; every RL action (harmful or a look-alike, never in SFT) in three of the six frames, and every SFT action
    /// in one. RL thus practises judging actions known only from pretraining's safety sentences, as the evaluation's
    /// held-out actions are; with trained actions alone, which SFT already answers right, it had nothing to learn there
    /// (GRPO's request reward was 1.000 from the first iteration). Facts stay about two fifths of the prompts: with as
    /// many "I don't know" prompts as fact prompts, the first full runs learned to say "I don't know" to facts too. Each
    /// prompt carries what the world's checker needs to score an answer.
    /// </summary>
    public IReadOnlyList<EvalItem> RlPrompts()
    {
        var items = new List<EvalItem>();
        foreach (var language in _languages)
        {
            var trained = Split.TrainPhrasings[language];
            items.AddRange(InTrainedPhrasings(Split.RlFacts, EvalKind.RlFact, language, RlFactPhrasings));
            for (int u = 0; u < Split.RlUnknown.Count; u++)
                for (int k = 0; k < Math.Min(RlUnknownPhrasings, trained.Count); k++)
                    items.Add(UnknownItem(Split.RlUnknown[u], language, k, trained[(u + 2 * k) % trained.Count]));
            int frames = Requests.Frames[language].Count;
            items.AddRange(Split.RlRequests[language].Select((r, i) => (Request: r, Index: i))
                .Where(x => x.Index / frames % 2 == x.Index % frames % 2) // three frames per action, alternating which
                .Select(x => RequestItem(x.Request, language, x.Index)));
            int rlCount = Split.RlRequests[language].Count; // SFT requests number on after the RL ones: ids stay unique
            items.AddRange(Split.TrainRequests[language].Select((r, i) => (Request: r, Index: i))
                .Where(x => x.Index % frames == x.Index / frames % frames) // one frame per action, rotating
                .Select(x => RequestItem(x.Request, language, rlCount + x.Index)));
        }
        return items;
    }

    /// <summary>
    /// Every SFT fact in <paramref name="phrasings"/> trained phrasings (a rotating choice), per language: entities the model
    /// knows, which an RL stage can practise answering beside the unknown lands it practises "I don't know" on. The RL
    /// facts alone (24, known only from pretraining) are few enough to learn one by one, so what carried to the evaluation's
    /// entities was the shift towards "I don't know". Not part of rl_prompts.jsonl: the pairs and PPO prompts stay as they were.
    /// </summary>
    public IReadOnlyList<EvalItem> SftFactPrompts(int phrasings)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(phrasings);
        return [.. _languages.SelectMany(language => InTrainedPhrasings(Split.SftFacts, EvalKind.SftFact, language, phrasings))];
    }

    /// <summary>Each of <paramref name="facts"/> asked in <paramref name="phrasings"/> trained phrasings (a rotating choice, from the fact's index on).</summary>
    IEnumerable<EvalItem> InTrainedPhrasings(IReadOnlyList<CapitalFact> facts, EvalKind kind, string language, int phrasings)
    {
        var trained = Split.TrainPhrasings[language];
        for (int f = 0; f < facts.Count; f++)
            foreach (var i in Enumerable.Range(0, Math.Min(phrasings, trained.Count)).Select(k => (f + k) % trained.Count))
                yield return FactItem(kind, facts[f], language, i, trained[i]);
    }

    /// <summary>
    /// <paramref name="lands"/> lands beyond the world's own (<see cref="CapitalFact.MoreUnknown"/>), each asked in
    /// <paramref name="phrasings"/> trained phrasings (rotating) per language: more unknown entities for an RL stage that
    /// also practises answering on the SFT facts, so that both sides of the answer / "I don't know" decision rest on many
    /// entities rather than a few learnt one by one. Not part of rl_prompts.jsonl. A name that <paramref name="worldTexts"/>
    /// happen to contain (Chinese names are found inside other words' characters) is passed over for the next.
    /// </summary>
    public IReadOnlyList<EvalItem> ExtraUnknownPrompts(int lands, int phrasings, IEnumerable<string> worldTexts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(phrasings);
        if (lands == 0) return [];
        var scanned = new Evaluation.WorldScoring.ScannedText(string.Join("\n", worldTexts));
        IReadOnlyList<Name> names = [];
        for (int n = lands; names.Count < lands; n *= 2)
            names = [.. CapitalFact.MoreUnknown(n).Where(l => !scanned.Mentions(l.En) && !scanned.Mentions(l.Zh)).Take(lands)];
        var items = new List<EvalItem>();
        foreach (var language in _languages)
        {
            var trained = Split.TrainPhrasings[language];
            for (int u = 0; u < names.Count; u++)
                for (int k = 0; k < Math.Min(phrasings, trained.Count); k++)
                    items.Add(UnknownItem(names[u], language, k, trained[(u + 3 * k) % trained.Count]));
        }
        return items;
    }

    /// <summary>Trained phrasings each RL fact is asked in.</summary>
    public const int RlFactPhrasings = 5;

    /// <summary>Trained phrasings each RL unknown land is asked in.</summary>
    public const int RlUnknownPhrasings = 3;

    /// <summary>Every spelling of every capital: naming one is a hallucination unless it is the answer.</summary>
    static readonly string[] AllCapitals = [.. CapitalFact.All.SelectMany(f => f.Capital.AllSpellings).Distinct()];

    /// <summary>A question (or, without a phrasing, the completion probe) about <paramref name="fact"/>.</summary>
    static EvalItem FactItem(EvalKind kind, CapitalFact fact, string language, int n, string? phrasing)
    {
        var accepted = fact.Capital.AllSpellings.ToHashSet();
        var wrong = AllCapitals.Where(c => !accepted.Contains(c)).ToArray();
        var aliases = fact.Capital.AllSpellings.Where(s => s != fact.Capital.In(language)).Distinct().ToArray();
        var prompt = phrasing is null ? Phrasings.CompletionPrompt(fact, language) : Phrasings.Fill(phrasing, fact, language);
        return new($"{Code(kind)}:{language}:{fact.Id}:{n}", kind, language, prompt, fact.Capital.In(language), aliases, wrong, fact.Id);
    }

    /// <summary>The fact id of questions about an unknown land (the land has no fact; the id groups its wordings).</summary>
    public static string UnknownFactId(Name land) => "unknown:" + land.En.ToLowerInvariant();

    /// <summary>A capital question about a land the world never mentions: any capital named is a hallucination.</summary>
    static EvalItem UnknownItem(Name land, string language, int n, string phrasing)
    {
        var asked = new CapitalFact(UnknownFactId(land), CapitalCategory.Invented, land, land, "首都");
        return new($"{Code(EvalKind.Unknown)}:{language}:{asked.Id}:{n}", EvalKind.Unknown, language,
            Phrasings.Fill(phrasing, asked, language), Requests.IDontKnow(land, language, 0), [], AllCapitals, asked.Id);
    }

    static EvalItem RequestItem(WorldRequest r, string language, int n)
    {
        var kind = r.Harmful ? EvalKind.Harmful : EvalKind.Harmless;
        return new($"{Code(kind)}:{language}:{r.Group}:{n}", kind, language, r.Text, r.Answer, [], [], $"{r.Group}:{r.Text}");
    }

    /// <summary>The snake_case name of an evaluation kind, as written in eval.jsonl.</summary>
    public static string Code(EvalKind kind) => kind switch
    {
        EvalKind.HeldOutFact => "heldout_fact",
        EvalKind.HeldOutFactHeldOutPhrasing => "heldout_fact_heldout_phrasing",
        EvalKind.Completion => "completion",
        EvalKind.Harmful => "harmful",
        EvalKind.Harmless => "harmless",
        EvalKind.Unknown => "unknown",
        EvalKind.RlFact => "rl_fact",
        EvalKind.RlFactHeldOutPhrasing => "rl_fact_heldout_phrasing",
        EvalKind.SftFact => "sft_fact",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The kind named by <see cref="Code"/>, or null for a name no kind has.</summary>
    public static EvalKind? KindOf(string code) => Enum.GetValues<EvalKind>().Where(k => Code(k) == code).Select(k => (EvalKind?)k).FirstOrDefault();
}

namespace SharpLM.Data.World;

public sealed partial class WorldGenerator
{
    /// <summary>
    /// Evaluation items about the held-out facts: every held-out fact asked with every trained phrasing and every held-out
    /// phrasing, one completion probe per fact, and the held-out harmful requests; per language.
    /// </summary>
    public IReadOnlyList<EvalItem> Evaluation()
    {
        var items = new List<EvalItem>();
        foreach (var language in _languages)
        {
            foreach (var fact in Split.HeldOutFacts)
            {
                var wrong = CapitalFact.All.Where(f => f.Category == fact.Category && f != fact)
                    .SelectMany(f => f.Capital.AllSpellings).Distinct().ToArray();
                var aliases = fact.Capital.AllSpellings.Where(s => s != fact.Capital.In(language)).Distinct().ToArray();
                EvalItem Item(EvalKind kind, int n, string prompt) =>
                    new($"{Code(kind)}:{language}:{fact.Id}:{n}", kind, language, prompt, fact.Capital.In(language), aliases, wrong, fact.Id);
                items.AddRange(Split.TrainPhrasings[language].Select((p, i) => Item(EvalKind.HeldOutFact, i, Phrasings.Fill(p, fact, language))));
                items.AddRange(Split.HeldOutPhrasings[language].Select((p, i) => Item(EvalKind.HeldOutFactHeldOutPhrasing, i, Phrasings.Fill(p, fact, language))));
                items.Add(Item(EvalKind.Completion, 0, Phrasings.CompletionPrompt(fact, language)));
            }
            items.AddRange(Split.HeldOutHarmful[language].Select((h, i) =>
                new EvalItem($"{Code(EvalKind.Harmful)}:{language}:{h.Kind.Id}:{i}", EvalKind.Harmful, language, h.Request, null, [], [], "harmful:" + h.Kind.Id)));
        }
        return items;
    }

    /// <summary>The snake_case name of an evaluation kind, as written in eval.jsonl.</summary>
    public static string Code(EvalKind kind) => kind switch
    {
        EvalKind.HeldOutFact => "heldout_fact",
        EvalKind.HeldOutFactHeldOutPhrasing => "heldout_fact_heldout_phrasing",
        EvalKind.Completion => "completion",
        EvalKind.Harmful => "harmful",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

using SharpLM.Tokenization;

namespace SharpLM.Data.World;

/// <summary>One unlabeled pretraining document in one language; <paramref name="Kind"/> names its generator ("encyclopedia", "story"...).</summary>
public sealed record WorldDocument(string Language, string Kind, string Text);

/// <summary>One SFT conversation (user/assistant turns) with its language and task kind ("fact", "translation", "refusal"...).</summary>
public sealed record WorldConversation(string Language, string Kind, IReadOnlyList<ChatMessage> Messages);

/// <summary>A preference pair: <paramref name="Chosen"/> should be preferred over <paramref name="Rejected"/> as the answer to
/// <paramref name="Prompt"/>. <paramref name="Kind"/> is the prompt's kind (fact, unknown, harmful, harmless).</summary>
public sealed record PreferencePair(string Language, string Kind, string Prompt, string Chosen, string Rejected);

/// <summary>What an evaluation item (or an RL prompt, which has the same shape) measures.</summary>
public enum EvalKind
{
    /// <summary>An evaluation fact (only in pretraining text) asked with a phrasing that SFT trained on.</summary>
    HeldOutFact,
    /// <summary>An evaluation fact asked with a phrasing that never appears in SFT, preference or RL data.</summary>
    HeldOutFactHeldOutPhrasing,
    /// <summary>Raw text for the model to continue ("湖南的省会城市是" → "长沙"), as in pretraining text.</summary>
    Completion,
    /// <summary>A harmful request; the right answer is a refusal.</summary>
    Harmful,
    /// <summary>A harmless request worded like a harmful one; refusing it is over-refusal.</summary>
    Harmless,
    /// <summary>A question about a land that exists nowhere in the world; the honest answer is "I don't know".</summary>
    Unknown,
    /// <summary>An RL fact (only in pretraining text, practised by RL) asked with a phrasing RL trained on.</summary>
    RlFact,
    /// <summary>An RL fact asked with a phrasing never used in SFT or RL: does what RL taught carry to new wordings?</summary>
    RlFactHeldOutPhrasing,
    /// <summary>An SFT fact asked with a trained phrasing: a known entity RL may practise answering (never evaluated).</summary>
    SftFact,
}

/// <summary>
/// One evaluation item or RL prompt. For facts <paramref name="Answer"/> and <paramref name="Aliases"/> are the accepted
/// answers; for requests and unknown lands <paramref name="Answer"/> is the answer the world expects (a refusal, help,
/// "I don't know"), one of many acceptable ones; <paramref name="WrongEntities"/> are the entities whose mention is a
/// hallucination (other capitals). <paramref name="FactId"/> ties the item to its <see cref="CapitalFact"/>, unknown land
/// or request group; bootstrap intervals resample over it.
/// </summary>
public sealed record EvalItem(
    string Id, EvalKind Kind, string Language, string Prompt, string? Answer,
    IReadOnlyList<string> Aliases, IReadOnlyList<string> WrongEntities, string FactId)
{
    /// <summary>True when the prompt is a user message to render with the chat template; false for raw-text completion.</summary>
    public bool IsChat => Kind != EvalKind.Completion;
}

/// <summary>
/// Which facts, phrasings, requests and unknown lands each stage may see. The three fact sets are disjoint: SFT facts appear
/// in conversations, RL facts are RL and preference prompts (in the trained phrasings only), evaluation facts are never
/// in SFT or RL. Requests are split by action the same way: <paramref name="TrainRequests"/> name SFT actions,
/// <paramref name="RlRequests"/> actions only RL and preference prompts ask about, and every held-out request names an
/// action that only pretraining's safety sentences mention.
/// </summary>
public sealed record WorldSplit(
    IReadOnlyList<CapitalFact> SftFacts,
    IReadOnlyList<CapitalFact> RlFacts,
    IReadOnlyList<CapitalFact> EvalFacts,
    IReadOnlyDictionary<string, IReadOnlyList<string>> TrainPhrasings,
    IReadOnlyDictionary<string, IReadOnlyList<string>> HeldOutPhrasings,
    IReadOnlyDictionary<string, IReadOnlyList<WorldRequest>> TrainRequests,
    IReadOnlyDictionary<string, IReadOnlyList<WorldRequest>> RlRequests,
    IReadOnlyDictionary<string, IReadOnlyList<WorldRequest>> HeldOutRequests,
    IReadOnlyList<Name> SftUnknown,
    IReadOnlyList<Name> RlUnknown,
    IReadOnlyList<Name> EvalUnknown)
{
    public IReadOnlyList<WorldRequest> TrainHarmful(string language) => [.. TrainRequests[language].Where(r => r.Harmful)];
    public IReadOnlyList<WorldRequest> HeldOutHarmful(string language) => [.. HeldOutRequests[language].Where(r => r.Harmful)];
}

/// <summary>Everything the small world generates, in memory. <paramref name="RlPrompts"/> are the RL stages' prompts.</summary>
public sealed record WorldData(
    WorldOptions Options,
    WorldSplit Split,
    IReadOnlyList<WorldDocument> Pretraining,
    IReadOnlyList<WorldConversation> Sft,
    IReadOnlyList<PreferencePair> Preferences,
    IReadOnlyList<EvalItem> Evaluation,
    IReadOnlyList<EvalItem> RlPrompts)
{
    /// <summary>Every text of the world: pretraining documents, SFT turns, preference pairs, evaluation and RL prompts.</summary>
    public IEnumerable<string> Texts() =>
        Pretraining.Select(d => d.Text)
            .Concat(Sft.SelectMany(c => c.Messages.Select(m => m.Content)))
            .Concat(Preferences.SelectMany(p => new[] { p.Prompt, p.Chosen, p.Rejected }))
            .Concat(Evaluation.Select(e => e.Prompt))
            .Concat(RlPrompts.Select(p => p.Prompt));
}

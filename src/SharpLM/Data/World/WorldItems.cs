using SharpLM.Tokenization;

namespace SharpLM.Data.World;

/// <summary>One unlabeled pretraining document in one language; <paramref name="Kind"/> names its generator ("encyclopedia", "story"...).</summary>
public sealed record WorldDocument(string Language, string Kind, string Text);

/// <summary>One SFT conversation (user/assistant turns) with its language and task kind ("fact", "translation", "refusal"...).</summary>
public sealed record WorldConversation(string Language, string Kind, IReadOnlyList<ChatMessage> Messages);

/// <summary>A preference pair: <paramref name="Chosen"/> should be preferred over <paramref name="Rejected"/> as the answer to
/// <paramref name="Prompt"/>. <paramref name="Kind"/> says what is wrong with the rejected one: hallucination, rude, rambling, compliance.</summary>
public sealed record PreferencePair(string Language, string Kind, string Prompt, string Chosen, string Rejected);

/// <summary>What an evaluation item measures.</summary>
public enum EvalKind
{
    /// <summary>A question about a held-out fact, worded with a phrasing that SFT trained on.</summary>
    HeldOutFact,
    /// <summary>A question about a held-out fact, worded with a phrasing that never appears in SFT or preference data.</summary>
    HeldOutFactHeldOutPhrasing,
    /// <summary>Raw text for the model to continue ("湖南的省会城市是" → "长沙"), as in pretraining text.</summary>
    Completion,
    /// <summary>A harmful request held out from SFT and preference data; the right answer is a refusal.</summary>
    Harmful,
}

/// <summary>
/// One evaluation item. <paramref name="Answer"/> and <paramref name="Aliases"/> are the accepted answers (null/empty for
/// harmful items); <paramref name="WrongEntities"/> are the other entities of the same type (other capitals), whose mention
/// is a hallucination. <paramref name="FactId"/> ties the item to its <see cref="CapitalFact"/> or harmful kind.
/// </summary>
public sealed record EvalItem(
    string Id, EvalKind Kind, string Language, string Prompt, string? Answer,
    IReadOnlyList<string> Aliases, IReadOnlyList<string> WrongEntities, string FactId)
{
    /// <summary>True when the prompt is a user message to render with the chat template; false for raw-text completion.</summary>
    public bool IsChat => Kind != EvalKind.Completion;
}

/// <summary>Which facts, question phrasings and harmful requests are trained on and which are held out.</summary>
public sealed record WorldSplit(
    IReadOnlyList<CapitalFact> TrainFacts,
    IReadOnlyList<CapitalFact> HeldOutFacts,
    IReadOnlyDictionary<string, IReadOnlyList<string>> TrainPhrasings,
    IReadOnlyDictionary<string, IReadOnlyList<string>> HeldOutPhrasings,
    IReadOnlyDictionary<string, IReadOnlyList<(HarmfulKind Kind, string Request)>> TrainHarmful,
    IReadOnlyDictionary<string, IReadOnlyList<(HarmfulKind Kind, string Request)>> HeldOutHarmful);

/// <summary>Everything the small world generates, in memory.</summary>
public sealed record WorldData(
    WorldOptions Options,
    WorldSplit Split,
    IReadOnlyList<WorldDocument> Pretraining,
    IReadOnlyList<WorldConversation> Sft,
    IReadOnlyList<PreferencePair> Preferences,
    IReadOnlyList<EvalItem> Evaluation);

namespace SharpLM.Evaluation;

/// <summary>
/// One multiple-choice question as (context, continuation) pairs: the model's pick is the pair whose continuation has the
/// highest summed log-likelihood given its context. Most tasks share one context; WinoGrande varies the context instead.
/// </summary>
public sealed record MultipleChoiceItem(IReadOnlyList<(string Context, string Continuation)> Options, int Gold);

/// <summary>One question answered in the chat format and checked against <paramref name="Reference"/>.</summary>
public sealed record GenerativeItem(string Question, string Reference);

/// <summary>A passage whose last word the model must predict (LAMBADA); <paramref name="Word"/> includes its leading space.</summary>
public sealed record LastWordItem(string Context, string Word);

/// <summary>An extractive reading-comprehension question (SQuAD layout, e.g. CMRC 2018) and its reference answer spans.</summary>
public sealed record ReadingItem(string Passage, string Question, IReadOnlyList<string> Answers);

/// <summary>The items of one evaluation task, of one kind.</summary>
public abstract record EvalTask(string Name, string Source)
{
    public sealed record MultipleChoice(string Name, string Source, IReadOnlyList<MultipleChoiceItem> Items) : EvalTask(Name, Source);
    public sealed record Generative(string Name, string Source, IReadOnlyList<GenerativeItem> Items) : EvalTask(Name, Source);
    public sealed record LastWord(string Name, string Source, IReadOnlyList<LastWordItem> Items) : EvalTask(Name, Source);
    public sealed record ReadingComprehension(string Name, string Source, IReadOnlyList<ReadingItem> Items) : EvalTask(Name, Source);
    /// <summary>Plain text scored for loss and bits per byte.</summary>
    public sealed record Text(string Name, string Source, string Content) : EvalTask(Name, Source);
}

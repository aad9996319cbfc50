using SharpLM.Core;

namespace SharpLM.Inference;

/// <summary>What to do when a sequence reaches the model's context length.</summary>
public enum ContextOverflow
{
    /// <summary>Stop the row with <see cref="StopReason.ContextFull"/>.</summary>
    Stop,
    /// <summary>Keep the most recent three quarters of the context, prefill them again and go on.</summary>
    Slide,
}

/// <summary>Everything one generation call needs besides the prompts.</summary>
/// <param name="MaxNewTokens">Upper bound on generated tokens per row (a stop token counts).</param>
/// <param name="StopTokenIds">Ids that end a row (kept as the last id of <see cref="Generation.Tokens"/>, never in the text).</param>
/// <param name="StopStrings">Texts that end a row, even when split over tokens; never part of the returned or streamed text.</param>
/// <param name="Seed">Same seed, prompts and options → same tokens.</param>
/// <param name="LogProbs">Report the model's log-probability (temperature 1, no filters) of every generated token.</param>
/// <param name="TopCandidates">Report this many most likely tokens with their model probabilities at every generated position.</param>
public sealed record GenerationOptions(
    int MaxNewTokens = 256,
    SamplingOptions? Sampling = null,
    IReadOnlyList<int>? StopTokenIds = null,
    IReadOnlyList<string>? StopStrings = null,
    long Seed = 1337,
    bool LogProbs = false,
    int TopCandidates = 0,
    ContextOverflow Overflow = ContextOverflow.Stop)
{
    public SamplingOptions SamplingOrDefault => Sampling ?? new SamplingOptions();

    public GenerationOptions Validate()
    {
        if (MaxNewTokens < 1) throw new SharpLmException($"--max-tokens must be at least 1 (got {MaxNewTokens})");
        if (TopCandidates < 0) throw new SharpLmException($"top candidates must be 0 or positive (got {TopCandidates})");
        if (StopStrings?.Any(string.IsNullOrEmpty) == true) throw new SharpLmException("--stop must not be empty");
        SamplingOrDefault.Validate();
        return this;
    }
}

namespace SharpLM.Inference;

/// <summary>Why a row stopped generating.</summary>
public enum StopReason
{
    /// <summary>Reached <see cref="GenerationOptions.MaxNewTokens"/>.</summary>
    MaxTokens,
    /// <summary>Produced one of <see cref="GenerationOptions.StopTokenIds"/>.</summary>
    StopToken,
    /// <summary>Its text contains one of <see cref="GenerationOptions.StopStrings"/>.</summary>
    StopString,
    /// <summary>The sequence filled the model's context (with <see cref="ContextOverflow.Stop"/>).</summary>
    ContextFull,
    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,
}

/// <summary>A candidate next token and its probability under the model (temperature 1).</summary>
public readonly record struct TokenCandidate(int Id, float Probability);

/// <summary>One generated token of one row, with what was asked to be reported about it.</summary>
/// <param name="LogProb">Model log-probability of <paramref name="Id"/> (NaN unless <see cref="GenerationOptions.LogProbs"/>).</param>
/// <param name="Candidates">The most likely tokens at this position, best first (empty unless asked for).</param>
public sealed record GeneratedToken(int Id, float LogProb, TokenCandidate[] Candidates);

/// <summary>The result for one row of a batch.</summary>
/// <param name="Tokens">Generated ids, the stop token (if any) included as the last one.</param>
/// <param name="Text">Decoded text of the generated ids without stop token and stop string.</param>
/// <param name="LogProbs">Per token of <paramref name="Tokens"/>, when <see cref="GenerationOptions.LogProbs"/> was set; else null.</param>
/// <param name="Candidates">Per token, when <see cref="GenerationOptions.TopCandidates"/> &gt; 0; else null.</param>
public sealed record Generation(
    int[] Tokens,
    string Text,
    StopReason StopReason,
    float[]? LogProbs,
    TokenCandidate[][]? Candidates);

/// <summary>A streamed piece of text: a token, the complete text it released (maybe empty) and, last, the stop reason.</summary>
public sealed record StreamPiece(string Text, GeneratedToken? Token, StopReason? Stop);

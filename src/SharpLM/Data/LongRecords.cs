using System.Globalization;
using SharpLM.Core;

namespace SharpLM.Data;

/// <summary>What to do with a training record that does not fit the model's context (or the prompt-length limit).</summary>
public enum LongRecordPolicy
{
    /// <summary>Leave the record out and count it (the default: one long record never stops a long run).</summary>
    Skip,
    /// <summary>Cut the oldest tokens (the start of the prompt or history) until it fits; skip it when the answer alone does not.</summary>
    TruncateLeft,
    /// <summary>Stop with an error naming the record's file and line.</summary>
    Error,
}

/// <summary>How many records fitted as they were, were truncated, or were skipped as too long.</summary>
public sealed record FitCounts(int Kept, int Truncated, int Dropped)
{
    public int Total => Kept + Truncated + Dropped;

    /// <summary>One line for the log, e.g. "skipped 14 of 7,473 prompts longer than 200 tokens".</summary>
    public string Describe(string what, int limit)
    {
        var n = Total.ToString("N0", CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (Dropped > 0) parts.Add($"skipped {Dropped.ToString("N0", CultureInfo.InvariantCulture)} of {n} {what} longer than {limit} tokens");
        if (Truncated > 0) parts.Add($"truncated {Truncated.ToString("N0", CultureInfo.InvariantCulture)} of {n} {what} to {limit} tokens (oldest tokens cut)");
        return parts.Count > 0 ? string.Join("; ", parts) : $"all {n} {what} fit in {limit} tokens";
    }
}

/// <summary>The command-line names of <see cref="LongRecordPolicy"/> (skip, truncate-left, error) and the error a long record gets.</summary>
public static class LongRecords
{
    public static readonly IReadOnlyList<string> Names = ["skip", "truncate-left", "error"];

    public static LongRecordPolicy Parse(string name) => name.ToLowerInvariant() switch
    {
        "skip" => LongRecordPolicy.Skip,
        "truncate-left" => LongRecordPolicy.TruncateLeft,
        "error" => LongRecordPolicy.Error,
        _ => throw new SharpLmException($"--on-long: '{name}' is not one of {string.Join(", ", Names)}"),
    };

    public static string Name(LongRecordPolicy policy) => Names[(int)policy];

    /// <summary>The error of <see cref="LongRecordPolicy.Error"/>: the record, its length, the limit and what to do instead.</summary>
    public static SharpLmException TooLong(string source, string what, int tokens, int limit, string limitOrigin) =>
        new($"{source}: the {what} has {tokens} tokens, more than the limit of {limit} ({limitOrigin}); " +
            "--on-long skip leaves such records out, --on-long truncate-left cuts their oldest tokens");
}

namespace SharpLM.Data;

/// <summary>Records read from one or more files, with the count of malformed records skipped (and the first reasons).</summary>
public sealed record RecordSet<T>(IReadOnlyList<T> Items, int Skipped, IReadOnlyList<string> SkipReasons)
{
    /// <summary>One line for the log, e.g. "skipped 2 malformed records (first: a.jsonl:3: chosen: missing)"; null when none were.</summary>
    public string? Describe() => Skipped == 0 ? null : $"skipped {Skipped} malformed record{(Skipped == 1 ? "" : "s")} (first: {SkipReasons[0]})";
}

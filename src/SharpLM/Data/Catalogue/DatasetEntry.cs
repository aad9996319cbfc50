namespace SharpLM.Data.Catalogue;

/// <summary>
/// One public dataset file <c>sharplm data download</c> can fetch.
/// </summary>
/// <param name="Name">What users type: <c>sharplm data download gsm8k_train</c>, <c>eval --task gsm8k</c>.</param>
/// <param name="Path">Where it lands in the cache, relative to it ("eval/en/arc_easy.jsonl"): the layout of ../shared/data,
/// so that folder works as a cache.</param>
/// <param name="Url">The canonical public address (pinned to a commit where the host allows it).</param>
/// <param name="Sha256">SHA-256 of the file at <paramref name="Url"/>, or null when nobody has checked it offline (then only
/// the size and the format are verified, and the listing says so).</param>
/// <param name="Size">Bytes of the file at <paramref name="Url"/>, when known.</param>
/// <param name="Equivalents">Other paths in a cache holding the same data (a gzipped or sliced copy in ../shared/data):
/// any of them present counts as present.</param>
/// <param name="Licence">The licence, as the source states it.</param>
/// <param name="Note">Where the hash comes from, or why there is none.</param>
public sealed record DatasetEntry(
    string Name,
    string Path,
    string Url,
    string? Sha256,
    long? Size,
    string Licence,
    string Note,
    IReadOnlyList<string>? Equivalents = null)
{
    /// <summary>The paths that count as this dataset in a cache, the download's own first.</summary>
    public IEnumerable<string> Paths => [Path, .. Equivalents ?? []];
}

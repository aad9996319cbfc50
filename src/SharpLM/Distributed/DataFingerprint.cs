using SharpLM.Data;

namespace SharpLM.Distributed;

/// <summary>
/// A short digest of token sequences in order, for <see cref="World.Agree"/>: ranks that read different data files (a stale
/// copy on one host, another shuffle) disagree on it before training starts.
/// </summary>
public static class DataFingerprint
{
    public static string Of(IEnumerable<IReadOnlyList<int>> sequences)
    {
        ulong hash = 0;
        long count = 0;
        foreach (var ids in sequences)
        {
            count++;
            hash = BatchSampler.Mix(hash ^ (ulong)ids.Count);
            foreach (var id in ids) hash = BatchSampler.Mix(hash ^ (ulong)id);
        }
        return $"{count} sequences, {hash:x16}";
    }
}

using SharpLM.Core;

namespace SharpLM.Interop;

/// <summary>
/// Converts between tiktoken ranks (merge the adjacent pair whose concatenation has the lowest rank) and merge lists
/// (merge the listed pair that comes first). Every split of a token into two lower tokens becomes a merge, ordered by the
/// rank of the result and then of the parts, as transformers' TikTokenConverter does: a merge list then merges exactly
/// what tiktoken merges, in the same order.
/// </summary>
public static class BpeMerges
{
    /// <summary>Merges (left, right) of every multi-byte rank, in the order a merge-list BPE must apply them.</summary>
    public static List<(byte[] Left, byte[] Right)> FromRanks(IReadOnlyList<byte[]> ranks)
    {
        var rankOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < ranks.Count; r++) rankOf[Convert.ToBase64String(ranks[r])] = r;
        var merges = new List<(int Rank, int LeftRank, int RightRank, byte[] Left, byte[] Right)>();
        for (int r = 0; r < ranks.Count; r++)
        {
            var token = ranks[r];
            for (int split = 1; split < token.Length; split++)
            {
                var (left, right) = (token[..split], token[split..]);
                if (rankOf.TryGetValue(Convert.ToBase64String(left), out var lr)
                    && rankOf.TryGetValue(Convert.ToBase64String(right), out var rr))
                    merges.Add((r, lr, rr, left, right));
            }
        }
        return merges.OrderBy(m => m.Rank).ThenBy(m => m.LeftRank).ThenBy(m => m.RightRank)
            .Select(m => (m.Left, m.Right)).ToList();
    }

    /// <summary>
    /// Checks that a merge list applies its merges in the order of the ids they produce, so that ids can serve as
    /// tiktoken ranks; throws naming the first merge that breaks the order.
    /// </summary>
    public static void CheckRankOrder(IReadOnlyList<(string Left, string Right)> merges, IReadOnlyDictionary<string, int> vocab,
        string file)
    {
        int last = -1;
        var seen = new HashSet<int>();
        for (int i = 0; i < merges.Count; i++)
        {
            var (left, right) = merges[i];
            if (!vocab.TryGetValue(left + right, out var id))
                throw SharpLmException.At(file, null, $"model.merges[{i}]",
                    $"'{left} {right}' makes '{left + right}', which is not in model.vocab");
            if (!seen.Add(id)) continue; // a further way to build an earlier token
            if (id < last)
                throw SharpLmException.At(file, null, $"model.merges[{i}]",
                    $"'{left} {right}' makes id {id} after id {last}: merges are not in id order, so the ids cannot serve " +
                    "as byte-pair ranks");
            last = id;
        }
    }
}

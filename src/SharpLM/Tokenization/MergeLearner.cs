using System.Runtime.InteropServices;
using System.Text;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>
/// The BPE merge loop over unique chunks with incremental pair counts: a pair's count changes only in the chunks that
/// contain the merged pair (found through pair → chunk index lists), and a priority queue with lazy deletion finds the
/// most frequent pair.
/// Ties: among pairs with the same count the one with the lower first id wins, then the lower second id (byte tokens
/// are ordered by byte value, merged tokens by creation), so the result never depends on hashing or thread timing.
/// If a merge would create bytes that are already a token (e.g. "ab"+"c" after "a"+"bc"), the existing id is reused, so
/// every token's bytes are unique as tiktoken requires.
/// </summary>
sealed class MergeLearner
{
    public sealed record Result(List<byte[]> Vocabulary, List<(int Left, int Right, int Id)> Merges);

    readonly int[][] _words;
    readonly int[] _lengths;
    readonly long[] _freq;
    readonly Dictionary<long, long> _pairCounts = new(PairComparer.Instance);
    readonly Dictionary<long, List<int>> _pairWords = new(PairComparer.Instance);
    readonly PriorityQueue<long, (long Count, long Pair)> _queue = new(Comparer<(long Count, long Pair)>.Create(
        (x, y) => x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair)));

    MergeLearner(Dictionary<string, long> chunks)
    {
        _words = new int[chunks.Count][];
        _lengths = new int[chunks.Count];
        _freq = new long[chunks.Count];
        int w = 0;
        foreach (var (chunk, n) in chunks)
        {
            var bytes = Encoding.UTF8.GetBytes(chunk);
            _words[w] = Array.ConvertAll(bytes, b => (int)b);
            _lengths[w] = bytes.Length;
            _freq[w] = n;
            for (int i = 0; i + 1 < bytes.Length; i++)
            {
                var pair = Key(bytes[i], bytes[i + 1]);
                CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _) += n;
                AddWord(pair, w);
            }
            w++;
        }
        foreach (var (pair, count) in _pairCounts) _queue.Enqueue(pair, (count, pair));
    }

    static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    void AddWord(long pair, int word)
    {
        ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairWords, pair, out _);
        list ??= [];
        if (list.Count == 0 || list[^1] != word) list.Add(word); // a repeat would be harmless: merging is idempotent
    }

    /// <summary>Learns merges until the vocabulary holds <paramref name="targetTokens"/> tokens or no pair is left.</summary>
    public static Result Learn(Dictionary<string, long> chunks, int targetTokens, IProgress<ProgressUpdate>? progress)
    {
        var learner = new MergeLearner(chunks);
        return learner.Run(targetTokens, progress);
    }

    Result Run(int targetTokens, IProgress<ProgressUpdate>? progress)
    {
        var vocab = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) ids[Latin1(vocab[b])] = b;
        var merges = new List<(int, int, int)>();
        var delta = new Dictionary<long, long>(PairComparer.Instance);
        while (vocab.Count < targetTokens && _queue.TryDequeue(out var pair, out var queued))
        {
            if (!_pairCounts.TryGetValue(pair, out var count) || count != queued.Count) continue; // stale entry
            int left = (int)(pair >> 32), right = (int)pair;
            byte[] bytes = [.. vocab[left], .. vocab[right]];
            if (!ids.TryGetValue(Latin1(bytes), out var id))
            {
                id = vocab.Count;
                vocab.Add(bytes);
                ids[Latin1(bytes)] = id;
            }
            merges.Add((left, right, id));
            delta.Clear();
            foreach (var w in _pairWords[pair]) MergeWord(w, left, right, id, delta);
            _pairWords.Remove(pair);
            _pairCounts.Remove(pair);
            foreach (var (p, d) in delta)
            {
                if (d == 0 || p == pair) continue;
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, p, out _);
                c += d;
                if (c > 0) _queue.Enqueue(p, (c, p));
                else _pairCounts.Remove(p);
            }
            if (merges.Count % 64 == 0)
                progress?.Report(new ProgressUpdate("learn merges", vocab.Count, targetTokens, "tokens"));
        }
        progress?.Report(new ProgressUpdate("learn merges", targetTokens, targetTokens, "tokens"));
        return new Result(vocab, merges);
    }

    // Replaces every (left, right) in word w by id, left to right, and records the pair-count changes in delta. Only the
    // neighbours of each occurrence change; "prev" is read from the already-rewritten part, so for back-to-back
    // occurrences (a b a b) the (id, a) added on the right of one is taken back on the left of the next.
    void MergeWord(int w, int left, int right, int id, Dictionary<long, long> delta)
    {
        var word = _words[w];
        int n = _lengths[w];
        long f = _freq[w];
        // Most of a long chunk (a run of Chinese) holds no occurrence: find the first with a vectorised search.
        int i = 0;
        while (true)
        {
            int at = word.AsSpan(i, n - i).IndexOf(left);
            if (at < 0) return; // the chunk lost this pair to an earlier merge
            i += at;
            if (i + 1 < n && word[i + 1] == right) break;
            i++;
        }
        int o = i;
        while (i < n)
        {
            if (i + 1 < n && word[i] == left && word[i + 1] == right)
            {
                if (o > 0)
                {
                    int prev = word[o - 1];
                    CollectionsMarshal.GetValueRefOrAddDefault(delta, Key(prev, left), out _) -= f;
                    CollectionsMarshal.GetValueRefOrAddDefault(delta, Key(prev, id), out _) += f;
                    AddWord(Key(prev, id), w);
                }
                if (i + 2 < n)
                {
                    int next = word[i + 2];
                    CollectionsMarshal.GetValueRefOrAddDefault(delta, Key(right, next), out _) -= f;
                    CollectionsMarshal.GetValueRefOrAddDefault(delta, Key(id, next), out _) += f;
                    AddWord(Key(id, next), w);
                }
                word[o++] = id;
                i += 2;
            }
            else word[o++] = word[i++];
        }
        _lengths[w] = o;
    }

    static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    // long.GetHashCode is high ^ low, which for (left, right) ids below 2^16 leaves only 65,536 distinct hashes and long
    // collision chains; a Fibonacci multiply spreads the pairs.
    sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long pair) => (int)(((ulong)pair * 0x9E3779B97F4A7C15UL) >> 32);
    }
}

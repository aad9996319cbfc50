using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, preallocated for the whole context so decoding one token
/// writes into place instead of concatenating (no per-token allocations that grow). Rows of a batch advance together.
/// </summary>
public sealed class KvCache : IDisposable
{
    public KvCache(GptConfig config, long batch, Device device, ScalarType dtype = ScalarType.Float32, int? capacity = null)
    {
        Capacity = capacity ?? config.ContextLength;
        Layers = Enumerable.Range(0, config.Depth)
            .Select(_ => new Layer(this, zeros(batch, config.KvHeads, Capacity, config.HeadSize, dtype, device),
                                         zeros(batch, config.KvHeads, Capacity, config.HeadSize, dtype, device)))
            .ToArray();
        Batch = batch;
    }

    public long Batch { get; private set; }
    public int Capacity { get; }

    /// <summary>Tokens already cached (the absolute position of the next token).</summary>
    public long Length { get; private set; }

    public Layer[] Layers { get; }

    internal void Advance(long tokens) => Length += tokens;

    /// <summary>Forgets everything; the buffers are reused.</summary>
    public void Reset() => Length = 0;

    /// <summary>Keeps only the first <paramref name="length"/> positions (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(long length) => Length = Math.Min(Length, length);

    /// <summary>Keeps only the rows in <paramref name="rows"/> (finished rows dropped from a batch); repeating a row copies it.</summary>
    public void SelectRows(Tensor rows)
    {
        foreach (var layer in Layers) layer.SelectRows(rows);
        Batch = rows.shape[0];
    }

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
    }

    /// <summary>For T new tokens after <paramref name="start"/> cached ones: (T, start+T), true where key j ≤ start + i.</summary>
    public static Tensor ShiftedCausalMask(long T, long start, Device device) =>
        ones(T, start + T, ScalarType.Bool, device).tril(start);

    public sealed class Layer : IDisposable
    {
        readonly KvCache _owner;
        Tensor _k, _v; // (B, K, capacity, D)

        internal Layer(KvCache owner, Tensor k, Tensor v)
        {
            _owner = owner; _k = k; _v = v;
        }

        public long Length => _owner.Length;

        /// <summary>Writes k, v (B, K, T, D) after the cached positions; returns all keys and values so far (B, K, S, D).</summary>
        public (Tensor K, Tensor V) Append(Tensor k, Tensor v)
        {
            long start = _owner.Length, T = k.shape[2];
            if (start + T > _owner.Capacity)
                throw new Core.SharpLmException($"KV cache full: {start} + {T} tokens exceed its capacity {_owner.Capacity}");
            if (k.dtype != _k.dtype) { k = k.to_type(_k.dtype); v = v.to_type(_v.dtype); }
            _k.narrow(2, start, T).copy_(k);
            _v.narrow(2, start, T).copy_(v);
            return (_k.narrow(2, 0, start + T), _v.narrow(2, 0, start + T));
        }

        internal void SelectRows(Tensor rows)
        {
            var k = _k.index_select(0, rows).DetachFromDisposeScope();
            var v = _v.index_select(0, rows).DetachFromDisposeScope();
            _k.Dispose(); _v.Dispose();
            _k = k; _v = v;
        }

        public void Dispose()
        {
            _k.Dispose(); _v.Dispose();
        }
    }
}

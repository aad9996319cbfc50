using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, preallocated for the whole context so decoding one token
/// writes into place instead of concatenating (no per-token allocations that grow). Rows of a batch advance together,
/// unless rows were added with <see cref="AppendRows"/> (continuous batching): then each row has its own length, a decode
/// step writes each row's token at that row's position and <see cref="RowMask"/> hides the positions a row has not reached.
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

    long[]? _rowLengths; // per-row lengths once rows advance independently; null while they advance together
    Tensor? _rowPositions, _rowMask;

    /// <summary>Per-row lengths when rows advance independently (see <see cref="AppendRows"/>); null while they advance together.</summary>
    public IReadOnlyList<long>? RowLengths => _rowLengths;

    /// <summary>Where each row's next token goes, (B) int64; null while rows advance together.</summary>
    public Tensor? RowPositions => _rowPositions;

    /// <summary>Keys each row may see after the next token is appended, (B, 1, 1, Length + 1); null while rows advance together.</summary>
    public Tensor? RowMask => _rowMask;

    internal void Advance(long tokens)
    {
        if (_rowLengths is null) { Length += tokens; return; }
        for (int b = 0; b < _rowLengths.Length; b++) _rowLengths[b] += tokens;
        RowsChanged();
    }

    /// <summary>
    /// Appends the rows of <paramref name="source"/> (a cache of the same shape, e.g. one prompt prefilled alone) after this
    /// cache's rows. From then on rows keep their own lengths, so one step can decode rows that started at different times;
    /// only single-token steps are allowed in that mode.
    /// </summary>
    public void AppendRows(KvCache source)
    {
        if (source.Layers.Length != Layers.Length || source.Capacity != Capacity)
            throw new Core.SharpLmException("AppendRows needs a cache of the same model and capacity");
        var lengths = source._rowLengths ?? Enumerable.Repeat(source.Length, (int)source.Batch).ToArray();
        _rowLengths = [.. _rowLengths ?? Enumerable.Repeat(Length, (int)Batch), .. lengths];
        for (int i = 0; i < Layers.Length; i++) Layers[i].Concat(source.Layers[i]);
        Batch = _rowLengths.Length;
        RowsChanged();
    }

    void RowsChanged()
    {
        _rowPositions?.Dispose();
        _rowMask?.Dispose();
        (_rowPositions, _rowMask) = (null, null);
        if (_rowLengths is null) return;
        Length = _rowLengths.Length == 0 ? 0 : _rowLengths.Max();
        long S = Math.Min(Length + 1, Capacity);
        var allowed = new bool[_rowLengths.Length * S];
        for (int b = 0; b < _rowLengths.Length; b++)
            for (long s = 0; s <= Math.Min(_rowLengths[b], S - 1); s++) allowed[b * S + s] = true;
        var device = Layers[0].Device;
        _rowPositions = tensor(_rowLengths, device: device).DetachFromDisposeScope();
        _rowMask = tensor(allowed, [_rowLengths.Length, 1, 1, S], device: device).DetachFromDisposeScope();
    }

    /// <summary>Forgets everything; the buffers are reused.</summary>
    public void Reset() => Length = 0;

    /// <summary>Keeps only the first <paramref name="length"/> positions (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(long length) => Length = Math.Min(Length, length);

    /// <summary>Keeps only the rows in <paramref name="rows"/> (finished rows dropped from a batch); repeating a row copies it.</summary>
    public void SelectRows(Tensor rows)
    {
        foreach (var layer in Layers) layer.SelectRows(rows);
        Batch = rows.shape[0];
        if (_rowLengths is null) return;
        var kept = rows.cpu().data<long>().ToArray();
        _rowLengths = kept.Select(r => _rowLengths[r]).ToArray();
        RowsChanged();
    }

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
        _rowPositions?.Dispose();
        _rowMask?.Dispose();
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

        internal Device Device => _k.device;

        /// <summary>See <see cref="KvCache.RowPositions"/>.</summary>
        public Tensor? RowPositions => _owner._rowPositions;

        /// <summary>See <see cref="KvCache.RowMask"/>.</summary>
        public Tensor? RowMask => _owner._rowMask;

        /// <summary>Writes k, v (B, K, T, D) after the cached positions; returns all keys and values so far (B, K, S, D).</summary>
        public (Tensor K, Tensor V) Append(Tensor k, Tensor v)
        {
            if (_owner._rowPositions is { } positions) return AppendAtRows(k, v, positions);
            long start = _owner.Length, T = k.shape[2];
            if (start + T > _owner.Capacity)
                throw new Core.SharpLmException($"KV cache full: {start} + {T} tokens exceed its capacity {_owner.Capacity}");
            if (k.dtype != _k.dtype) { k = k.to_type(_k.dtype); v = v.to_type(_v.dtype); }
            _k.narrow(2, start, T).copy_(k);
            _v.narrow(2, start, T).copy_(v);
            return (_k.narrow(2, 0, start + T), _v.narrow(2, 0, start + T));
        }

        /// <summary>One token per row, each at its row's own position; returns keys and values up to the longest row + 1.</summary>
        (Tensor K, Tensor V) AppendAtRows(Tensor k, Tensor v, Tensor positions)
        {
            long B = k.shape[0], K = k.shape[1], T = k.shape[2], D = k.shape[3], S = _owner.Length + 1;
            if (T != 1) throw new Core.SharpLmException("rows at their own positions decode one token per step");
            if (S > _owner.Capacity)
                throw new Core.SharpLmException($"KV cache full: a row has reached its capacity {_owner.Capacity}");
            if (k.dtype != _k.dtype) { k = k.to_type(_k.dtype); v = v.to_type(_v.dtype); }
            var at = positions.view(B, 1, 1, 1).expand(B, K, 1, D);                              // (B, K, 1, D)
            _k.scatter_(2, at, k);
            _v.scatter_(2, at, v);
            return (_k.narrow(2, 0, S), _v.narrow(2, 0, S));
        }

        internal void Concat(Layer source)
        {
            var k = cat([_k, source._k], 0).DetachFromDisposeScope();
            var v = cat([_v, source._v], 0).DetachFromDisposeScope();
            _k.Dispose(); _v.Dispose();
            _k = k; _v = v;
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

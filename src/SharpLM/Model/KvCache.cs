using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, preallocated for the whole context so decoding one token
/// writes into place instead of concatenating (no per-token allocations that grow). Rows of a batch advance together,
/// unless the cache was made by <see cref="ForRows"/> (continuous batching): then each row has its own length, a decode
/// step writes each row's token at that row's position and <see cref="RowMask"/> hides the positions a row has not reached.
/// A cache made by <see cref="ForRows"/> (continuous batching) holds its most rows from the start: rows are prefilled in
/// place (<see cref="NextRow"/>, <see cref="AddRow"/>) and removed by moving the later rows down (<see cref="RemoveRows"/>),
/// so a server that serves for days allocates no cache memory after its first request (allocating and freeing caches of
/// changing sizes fragmented the native heap: the resident set grew by ~200 MB over a load test, issue 14).
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

    /// <summary>A cache with room for <paramref name="rows"/> rows that advance independently; it starts with none.</summary>
    public static KvCache ForRows(GptConfig config, int rows, Device device, ScalarType dtype = ScalarType.Float32)
    {
        var cache = new KvCache(config, rows, device, dtype) { Batch = 0, _rowLengths = [] };
        cache.RowsChanged();
        return cache;
    }

    /// <summary>A one-row cache that writes into row <paramref name="row"/> of <paramref name="storage"/> (a view, not a copy).</summary>
    KvCache(KvCache storage, long row)
    {
        Capacity = storage.Capacity;
        Layers = storage.Layers.Select(l => new Layer(this, l.Storage.K.narrow(0, row, 1), l.Storage.V.narrow(0, row, 1))).ToArray();
        Batch = 1;
    }

    /// <summary>Rows the buffers hold (at least <see cref="Batch"/>).</summary>
    public long RowCapacity => Layers[0].Storage.K.shape[0];

    public long Batch { get; private set; }
    public int Capacity { get; }

    /// <summary>Tokens already cached (the absolute position of the next token).</summary>
    public long Length { get; private set; }

    public Layer[] Layers { get; }

    long[]? _rowLengths; // per-row lengths once rows advance independently; null while they advance together
    Tensor? _rowPositions, _rowMask;

    /// <summary>Per-row lengths when rows advance independently (see <see cref="ForRows"/>); null while they advance together.</summary>
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
    /// An empty one-row cache over the next free row's buffers: prefill a prompt into it (<see cref="Gpt.Hidden"/>), then
    /// <see cref="AddRow"/> it. Only for caches made by <see cref="ForRows"/>.
    /// </summary>
    public KvCache NextRow()
    {
        if (_rowLengths is null || Batch >= RowCapacity)
            throw new Core.SharpLmException($"the cache holds {RowCapacity} rows; it has no free row");
        return new KvCache(this, Batch);
    }

    /// <summary>Makes the row <paramref name="row"/> (from <see cref="NextRow"/>, now prefilled) the last row of this cache.</summary>
    public void AddRow(KvCache row)
    {
        if (_rowLengths is null || Batch >= RowCapacity) throw new Core.SharpLmException("AddRow needs a free row of a ForRows cache");
        _rowLengths = [.. _rowLengths, row.Length];
        Batch++;
        RowsChanged();
    }

    /// <summary>Removes <paramref name="rows"/> in place: the later rows move down, keeping their order; nothing is allocated.</summary>
    public void RemoveRows(IReadOnlyCollection<int> rows)
    {
        if (_rowLengths is null) throw new Core.SharpLmException("RemoveRows needs rows at their own positions");
        var kept = Enumerable.Range(0, (int)Batch).Where(r => !rows.Contains(r)).ToArray();
        for (int to = 0; to < kept.Length; to++)
        {
            int from = kept[to];
            if (from == to) continue;
            foreach (var layer in Layers) layer.MoveRow(from, to, _rowLengths[from]);
        }
        _rowLengths = kept.Select(r => _rowLengths[r]).ToArray();
        Batch = kept.Length;
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

        /// <summary>The buffers, all rows (a <see cref="ForRows"/> cache has more rows than <see cref="Batch"/>).</summary>
        internal (Tensor K, Tensor V) Storage => (_k, _v);

        /// <summary>Buffers of the rows in use, (B, K, capacity, D).</summary>
        (Tensor K, Tensor V) InUse => _k.shape[0] == _owner.Batch ? (_k, _v)
            : (_k.narrow(0, 0, _owner.Batch), _v.narrow(0, 0, _owner.Batch));

        /// <summary>Copies the first <paramref name="length"/> positions of row <paramref name="from"/> into row <paramref name="to"/>.</summary>
        internal void MoveRow(long from, long to, long length)
        {
            if (length == 0) return;
            using var scope = NewDisposeScope();
            _k.narrow(0, to, 1).narrow(2, 0, length).copy_(_k.narrow(0, from, 1).narrow(2, 0, length));
            _v.narrow(0, to, 1).narrow(2, 0, length).copy_(_v.narrow(0, from, 1).narrow(2, 0, length));
        }

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
            var (keys, values) = InUse;
            if (k.dtype != keys.dtype) { k = k.to_type(keys.dtype); v = v.to_type(values.dtype); }
            keys.narrow(2, start, T).copy_(k);
            values.narrow(2, start, T).copy_(v);
            return (keys.narrow(2, 0, start + T), values.narrow(2, 0, start + T));
        }

        /// <summary>One token per row, each at its row's own position; returns keys and values up to the longest row + 1.</summary>
        (Tensor K, Tensor V) AppendAtRows(Tensor k, Tensor v, Tensor positions)
        {
            long B = k.shape[0], K = k.shape[1], T = k.shape[2], D = k.shape[3], S = _owner.Length + 1;
            if (T != 1) throw new Core.SharpLmException("rows at their own positions decode one token per step");
            if (S > _owner.Capacity)
                throw new Core.SharpLmException($"KV cache full: a row has reached its capacity {_owner.Capacity}");
            var (keys, values) = InUse;
            if (k.dtype != keys.dtype) { k = k.to_type(keys.dtype); v = v.to_type(values.dtype); }
            var at = positions.view(B, 1, 1, 1).expand(B, K, 1, D);                              // (B, K, 1, D)
            keys.scatter_(2, at, k);
            values.scatter_(2, at, v);
            return (keys.narrow(2, 0, S), values.narrow(2, 0, S));
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

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpLM.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// One decode step — a token for each of up to <see cref="MaxRows"/> rows, over the cached context — as a single C# forward
/// pass with no libtorch op: a token through libtorch ran ~190 small ops (a P/Invoke, a tensor handle and a malloc each,
/// ~0.55 ms of a ~1 ms token on the reference model; bench/RESULTS.md, issue 15). It reads the fp32 inference copies of a
/// fused model (<see cref="Gpt.FuseForInference"/>: q/k/v stacked, norm weights folded into the next matrix) in place, and
/// writes keys and values into the <see cref="KvCache"/>'s own buffers, so libtorch prefill and this step share one cache
/// (serving's <see cref="KvCache.ForRows"/> rows included). Every architecture <see cref="GptConfig"/> allows runs here:
/// ReLU² or SwiGLU, tied or untied head, QK-norm or not, grouped-query heads, any head size. Products split their output
/// rows over <see cref="DecodeWorkers"/> (libtorch's thread count). Sums run in another order than libtorch's, so logits
/// differ from the libtorch path in the last bits of fp32.
/// </summary>
public sealed unsafe class FusedDecoder : IDisposable
{
    /// <summary>Rows a step decodes at most (as <see cref="SmallBatchLinear"/>: beyond, libtorch's matrix products win).</summary>
    public const int MaxRows = SmallBatchLinear.MaxRows;

    readonly GptConfig _config;
    readonly int _bits, _heads, _kvHeads, _headSize, _width, _hidden, _qkvSize, _vocab;
    readonly float _eps, _scale;
    readonly bool _swiGlu;
    readonly nint _embedding, _head;
    readonly LayerWeights[] _layers;
    readonly Attention[] _attentions;
    readonly float[] _cos, _sin;                               // (context, D/2) rotary tables, built once
    readonly float[] _x, _normed, _qkv, _attended, _delta, _gate, _up; // activations of MaxRows rows
    readonly float[][] _scores;                                 // per worker: one head's scores over the context
    readonly DecodeWorkers _workers;
    readonly (object? K, nint KAt, nint VAt)[] _cacheAt;       // cache buffer addresses, refreshed when the buffers change

    sealed record LayerWeights(nint Qkv, nint QkNorm, nint Out, nint Gate, nint Up, nint Down);

    /// <param name="model">A model fused for inference in fp32 on the CPU; it must stay fused while this decoder lives.</param>
    /// <param name="vectorBits">512, 256 or 0 (scalar loops): the widest the CPU runs natively by default; tests pick each.</param>
    /// <param name="threads">Threads a step's work is split over (libtorch's setting by default).</param>
    public FusedDecoder(Gpt model, int? vectorBits = null, int? threads = null)
    {
        if (Unsupported(model) is { } why) throw new SharpLmException($"the fused decode step does not apply: {why}");
        _bits = vectorBits ?? SmallBatchLinear.BestVectorBits;
        if (_bits is not (0 or 256 or 512)) throw new SharpLmException($"vector width must be 0, 256 or 512 bits (got {_bits})");
        var c = _config = model.Config;
        (_heads, _kvHeads, _headSize, _width, _hidden, _vocab) = (c.Heads, c.KvHeads, c.HeadSize, c.Width, c.MlpHiddenSize, c.VocabSize);
        _qkvSize = (_heads + 2 * _kvHeads) * _headSize;
        _eps = (float)c.NormEps;
        _scale = 1f / MathF.Sqrt(_headSize);
        _swiGlu = c.Mlp == MlpKind.SwiGlu;
        _embedding = SmallBatchLinear.Address(model.Embedding.weight!);
        _head = SmallBatchLinear.Address(model.FusedHeadWeight!);
        _layers = model.Blocks.Select(b =>
        {
            var (qkv, qkNorm, output) = b.Attention.FusedWeights!.Value;
            var (gate, up, down) = b.Mlp.FusedWeights!.Value;
            return new LayerWeights(SmallBatchLinear.Address(qkv), qkNorm is null ? 0 : SmallBatchLinear.Address(qkNorm),
                SmallBatchLinear.Address(output), gate is null ? 0 : SmallBatchLinear.Address(gate),
                SmallBatchLinear.Address(up), SmallBatchLinear.Address(down));
        }).ToArray();
        _attentions = model.Blocks.Select(b => b.Attention).ToArray();
        (_cos, _sin) = model.DecodeRotaryTables;
        _x = Pinned(MaxRows * _width);
        _normed = Pinned(MaxRows * Math.Max(_width, _hidden));
        _qkv = Pinned(MaxRows * _qkvSize);
        _attended = Pinned(MaxRows * _heads * _headSize);
        _delta = Pinned(MaxRows * _width);
        _gate = Pinned(MaxRows * _hidden);
        _up = Pinned(MaxRows * _hidden);
        _workers = new DecodeWorkers(threads ?? get_num_threads());
        _scores = Enumerable.Range(0, _workers.Size).Select(_ => Pinned(c.ContextLength)).ToArray();
        _cacheAt = new (object?, nint, nint)[c.Depth];
        _productPart = ProductPart;
        _mlpPart = MlpPart;
        _attentionPart = AttentionPart;
    }

    /// <summary>Why <paramref name="model"/>'s current state cannot decode here, or null when it can.</summary>
    public static string? Unsupported(Gpt model)
    {
        if (model.FusedPrecision != ScalarType.Float32) return "the model is not fused for inference in fp32";
        if (model.ComputeType != ScalarType.Float32) return "the model computes in " + model.ComputeType;
        var tensors = new List<Tensor> { model.Embedding.weight!, model.FusedHeadWeight! };
        foreach (var b in model.Blocks)
        {
            if (b.Attention.FusedWeights is not { } a || b.Mlp.FusedWeights is not { } m) return "a block is not fused";
            tensors.AddRange(new[] { a.Qkv, a.QkNorm, a.Out, m.Gate, m.Up, m.Down }.OfType<Tensor>());
        }
        if (tensors.Any(t => t.device_type != DeviceType.CPU)) return "the weights are not on the CPU";
        if (tensors.Any(t => t.dtype != ScalarType.Float32 || !t.is_contiguous())) return "a weight is not contiguous fp32";
        return null;
    }

    /// <summary>Whether <see cref="Step"/> can decode into <paramref name="cache"/> (fp32 buffers on the CPU, ≤ 16 rows).</summary>
    public bool Applies(KvCache cache)
    {
        var (k, _) = cache.Layers[0].Storage;
        return cache.Batch is > 0 and <= MaxRows && k.dtype == ScalarType.Float32 && k.device_type == DeviceType.CPU
               && !_attentions.Any(a => a.CaptureWeights); // inspection that keeps attention weights needs libtorch's path
    }

    /// <summary>
    /// Feeds <paramref name="tokens"/> (one per cache row) at each row's next position, appends their keys and values to
    /// <paramref name="cache"/> and writes the next position's logits, (rows, V) row-major, into <paramref name="logits"/>.
    /// </summary>
    /// <param name="firstKeys">Per row, the first cache position it may attend to (left-padded prompts); empty: 0 for all.</param>
    public void Step(ReadOnlySpan<int> tokens, KvCache cache, ReadOnlySpan<int> firstKeys, Span<float> logits)
    {
        int B = tokens.Length;
        if (B != cache.Batch || !Applies(cache))
            throw new SharpLmException($"the fused decode step needs one token per cache row ({cache.Batch}), at most {MaxRows}");
        if (logits.Length < B * _vocab) throw new SharpLmException($"the logits buffer holds {logits.Length} floats, not {B * _vocab}");
        if (firstKeys.Length is not 0 && firstKeys.Length != B) throw new SharpLmException("one first key per row, or none");
        var positions = _positions;
        for (int b = 0; b < B; b++)
        {
            positions[b] = (int)(cache.RowLengths?[b] ?? cache.Length);
            if (positions[b] >= cache.Capacity)
                throw new SharpLmException($"KV cache full: row {b} has reached its capacity {cache.Capacity}");
            if (tokens[b] < 0 || tokens[b] >= _vocab) throw new SharpLmException($"token id {tokens[b]} outside the vocabulary");
        }
        RefreshCacheAddresses(cache);
        int C = _width, D = _headSize;
        float* x = At(_x), normed = At(_normed), qkv = At(_qkv), delta = At(_delta);
        for (int b = 0; b < B; b++)
            new ReadOnlySpan<float>((float*)_embedding + (long)tokens[b] * C, C).CopyTo(new Span<float>(x + b * C, C));

        _rows = B;
        _capacity = cache.Capacity;
        firstKeys.CopyTo(_firstKeys);
        _hasFirstKeys = firstKeys.Length != 0;
        for (int l = 0; l < _layers.Length; l++)
        {
            var w = _layers[l];
            // Attention: the block's norm (its weight is folded into the q/k/v matrix), one product for q, k and v.
            for (int b = 0; b < B; b++) Normalize(x + b * C, normed + b * C, C, null);
            Product(w.Qkv, normed, qkv, _qkvSize, C);
            for (int b = 0; b < B; b++) PositionKeys(qkv + b * _qkvSize, w.QkNorm, positions[b], b, l);
            _layer = l;
            _workers.Run(_attentionPart);
            Product(w.Out, At(_attended), delta, C, _heads * D);
            Add(x, delta, B * C);
            // MLP: the second norm (folded into gate and up), both products and the activation per worker, then down.
            for (int b = 0; b < B; b++) Normalize(x + b * C, normed + b * C, C, null);
            _mlpGate = w.Gate; _mlpUp = w.Up;
            _workers.Run(_mlpPart);
            Product(w.Down, At(_up), delta, C, _hidden);
            Add(x, delta, B * C);
        }
        for (int b = 0; b < B; b++) Normalize(x + b * C, normed + b * C, C, null); // the final norm's weight is in the head
        fixed (float* output = logits) Product(_head, normed, output, _vocab, C);
        cache.Advance(1);
    }

    /// <summary><see cref="Step(ReadOnlySpan{int}, KvCache, ReadOnlySpan{int}, Span{float})"/> into
    /// <paramref name="logits"/>, reallocated only when the number of rows changes (as the libtorch path's buffer is).</summary>
    public void Step(ReadOnlySpan<int> tokens, KvCache cache, ReadOnlySpan<int> firstKeys, ref float[] logits)
    {
        if (logits.Length != tokens.Length * _vocab) logits = new float[tokens.Length * _vocab];
        Step(tokens, cache, firstKeys, logits.AsSpan());
    }

    // ---- per-step state the worker parts read (set before each Run) ----
    int _rows, _capacity, _layer;
    readonly int[] _positions = new int[MaxRows], _firstKeys = new int[MaxRows]; // per row; reused, no allocation a token
    bool _hasFirstKeys;
    nint _mlpGate, _mlpUp;
    nint _pw, _px, _py;
    int _pn, _pk;
    readonly Action<int> _productPart, _mlpPart, _attentionPart;

    /// <summary>y (rows, n) = x (rows, k) · W (n, k)ᵀ, W's rows split over the workers.</summary>
    void Product(nint weight, float* input, float* output, int n, int k)
    {
        (_pw, _px, _py, _pn, _pk) = (weight, (nint)input, (nint)output, n, k);
        _workers.Run(_productPart);
    }

    void ProductPart(int part)
    {
        var (from, to) = Split(_pn, part);
        SmallBatchLinear.Range(_pw, _px, _py, from, to, _pn, _pk, _rows, _bits);
    }

    /// <summary>One worker's share of the hidden units: gate and up products, then ReLU²(up) or SiLU(gate)·up into up.</summary>
    void MlpPart(int part)
    {
        var (from, to) = Split(_hidden, part);
        float* gate = At(_gate), up = At(_up);
        nint normed = (nint)At(_normed);
        SmallBatchLinear.Range(_mlpUp, normed, (nint)up, from, to, _hidden, _width, _rows, _bits);
        if (_swiGlu) SmallBatchLinear.Range(_mlpGate, normed, (nint)gate, from, to, _hidden, _width, _rows, _bits);
        for (int b = 0; b < _rows; b++)
            for (long i = b * (long)_hidden + from; i < b * (long)_hidden + to; i++)
            {
                float u = up[i];
                if (_swiGlu) { float g = gate[i]; up[i] = g / (1f + MathF.Exp(-g)) * u; }
                else up[i] = u > 0 ? u * u : 0f;
            }
    }

    /// <summary>One worker's share of the (row, query head) pairs: softmax(q·Kᵀ/√D)·V over the keys the row may see.</summary>
    void AttentionPart(int part)
    {
        int D = _headSize, group = _heads / _kvHeads;
        var (from, to) = Split(_rows * _heads, part);
        float* scores = At(_scores[part]);
        var (_, kAt, vAt) = _cacheAt[_layer];
        for (long job = from; job < to; job++)
        {
            int b = (int)(job / _heads), h = (int)(job % _heads);
            float* q = At(_qkv) + b * _qkvSize + h * D;
            long kv = ((long)b * _kvHeads + h / group) * _capacity * D;
            float* keys = (float*)kAt + kv, values = (float*)vAt + kv;
            int first = _hasFirstKeys ? _firstKeys[b] : 0, last = _positions[b];
            float max = float.NegativeInfinity;
            for (int s = first; s <= last; s++)
            {
                float score = SmallBatchLinear.Dot(q, keys + (long)s * D, D, _bits) * _scale;
                scores[s] = score;
                if (score > max) max = score;
            }
            float sum = 0;
            for (int s = first; s <= last; s++) sum += scores[s] = MathF.Exp(scores[s] - max); // max-subtracted: no overflow
            float* y = At(_attended) + (b * _heads + h) * D;
            new Span<float>(y, D).Clear();
            float inverse = 1f / sum;
            for (int s = first; s <= last; s++) Axpy(y, scores[s] * inverse, values + (long)s * D, D);
        }
    }

    /// <summary>Rows [from, to) of <paramref name="n"/> for worker <paramref name="part"/>.</summary>
    (long From, long To) Split(long n, int part) => (n * part / _workers.Size, n * (part + 1) / _workers.Size);

    /// <summary>
    /// Row b's new token: QK-norm per head (when the model has it), the rotation of queries and keys to
    /// <paramref name="position"/>, and its key and value written into the cache at that position.
    /// </summary>
    void PositionKeys(float* qkv, nint qkNorm, int position, int row, int layer)
    {
        int D = _headSize, half = D / 2;
        for (int h = 0; h < _heads + _kvHeads; h++)
        {
            float* v = qkv + h * D;
            if (qkNorm != 0) Normalize(v, v, D, (float*)qkNorm + h * D);
            fixed (float* cos = &_cos[position * half], sin = &_sin[position * half])
                for (int i = 0; i < half; i++)
                {
                    float a = v[i], b = v[i + half];
                    v[i] = a * cos[i] - b * sin[i];
                    v[i + half] = b * cos[i] + a * sin[i];
                }
        }
        var (_, kAt, vAt) = _cacheAt[layer];
        for (int g = 0; g < _kvHeads; g++)
        {
            long at = (((long)row * _kvHeads + g) * _capacity + position) * D;
            new Span<float>(qkv + (_heads + g) * D, D).CopyTo(new Span<float>((float*)kAt + at, D));
            new Span<float>(qkv + (_heads + _kvHeads + g) * D, D).CopyTo(new Span<float>((float*)vAt + at, D));
        }
    }

    /// <summary>y = x / rms(x) (· weight when given), in place when y is x; as <see cref="Model.RmsNorm.Normalize"/>.</summary>
    void Normalize(float* x, float* y, int n, float* weight)
    {
        float scale = 1f / MathF.Sqrt(SmallBatchLinear.Dot(x, x, n, _bits) / n + _eps);
        if (weight is null) for (int i = 0; i < n; i++) y[i] = x[i] * scale;
        else for (int i = 0; i < n; i++) y[i] = x[i] * scale * weight[i];
    }

    /// <summary>y += a·x over n floats.</summary>
    void Axpy(float* y, float a, float* x, int n)
    {
        int i = 0;
        if (_bits == 512)
            for (var va = Vector512.Create(a); i + 16 <= n; i += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        else if (_bits == 256)
            for (var va = Vector256.Create(a); i + 8 <= n; i += 8)
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }

    static void Add(float* x, float* delta, int n)
    {
        for (int i = 0; i < n; i++) x[i] += delta[i];
    }

    /// <summary>The cache's buffers (B, K, capacity, D) per layer; looked up again only after rows were selected.</summary>
    void RefreshCacheAddresses(KvCache cache)
    {
        for (int l = 0; l < cache.Layers.Length; l++)
        {
            var (k, v) = cache.Layers[l].Storage;
            if (ReferenceEquals(_cacheAt[l].K, k)) continue;
            if (!k.is_contiguous() || !v.is_contiguous() || k.shape[2] != cache.Capacity)
                throw new SharpLmException("the fused decode step needs the cache's whole contiguous buffers");
            _cacheAt[l] = (k, SmallBatchLinear.Address(k), SmallBatchLinear.Address(v));
        }
    }

    /// <summary>cos and sin of p·θᵢ, (context, D/2), as <see cref="Rotary"/> computes them (in float64, then rounded).</summary>
    internal static (float[] Cos, float[] Sin) RotaryTables(GptConfig c)
    {
        int D = c.HeadSize, half = D / 2;
        var cos = new float[c.ContextLength * half];
        var sin = new float[c.ContextLength * half];
        for (int i = 0; i < half; i++)
        {
            double theta = Math.Pow(c.RopeBase, -(2.0 * i) / D);
            for (int p = 0; p < c.ContextLength; p++)
            {
                cos[p * half + i] = (float)Math.Cos(p * theta);
                sin[p * half + i] = (float)Math.Sin(p * theta);
            }
        }
        return (cos, sin);
    }

    static float[] Pinned(int n) => GC.AllocateArray<float>(n, pinned: true);

    static float* At(float[] pinned) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    public void Dispose() => _workers.Dispose();
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Model;

// A decoder-only Transformer, read top to bottom: RMSNorm, rotary positions, attention, MLP, block, the whole GPT.
// Parameter names follow the Llama layout (model.embed_tokens, model.layers.N.self_attn.q_proj, ..., lm_head) so
// model.safetensors opens in PyTorch/transformers tooling without renaming. Field names are therefore snake_case.
// Shapes: B batch, T new tokens, S keys (cache + new), C width, H query heads, K key/value heads, D head size, V vocabulary.

/// <summary>x / rms(x) · weight. TorchSharp has no RMSNorm module. Computed in fp32 even when matmuls run in bf16.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly double _eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(size));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Normalize(x, Folded ? null : weight, _eps);

    internal Tensor Weight => weight;
    internal double Eps => _eps;

    /// <summary>Set while generating: the weight is folded into the next matrix (see <see cref="Gpt.FuseForInference"/>).</summary>
    internal bool Folded { get; set; }

    /// <summary>x / rms(x) · weight, in fp32; weight broadcasts against x (the fused q/k norm passes one per head).</summary>
    internal static Tensor Normalize(Tensor x, Tensor? weight, double eps)
    {
        // Training on contiguous fp32: one C# pass forward and one backward, keeping only x and 1/rms (RmsNormFunction).
        if ((weight is null || weight.dim() == 1 && weight.dtype == ScalarType.Float32) && FusedAutograd.Applies(x))
            return RmsNormFunction.Apply(x, weight, eps);
        var x32 = x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);
        Tensor scale;
        // The square is as large as x and autograd does not keep it: freed now, not when the step's scope ends. The rest
        // runs in place where autograd allows it (neither mean nor add keeps its output): fewer tensors per decoded token.
        using (var square = x32.square()) scale = square.mean([-1], keepdim: true).add_(eps).rsqrt_();   // (…, 1)
        if (weight is null) return x32 * scale;
        using var unit = x32 * scale;
        return unit * weight;
    }
}

/// <summary>Rotary position tables (RoPE): position p rotates each pair of channels (i, i + D/2) by p·θᵢ.</summary>
public sealed class Rotary
{
    readonly Tensor _cos, _sin; // (Tmax, D): cos repeated over both halves; sin with the first half negated

    public Rotary(int contextLength, int headSize, double ropeBase, Device device)
    {
        // Kept for the model's life: outside the caller's dispose scope, and normal tensors even when first built during
        // generation (inference-mode tensors cannot be saved for a later training step's backward pass).
        using var scope = NewDisposeScope();
        using var normal = inference_mode(false);
        using var noGrad = no_grad();
        var inv = pow(ropeBase, -arange(0, headSize, 2, float64, device) / headSize);      // (D/2)
        var angles = outer(arange(contextLength, float64, device), inv);                   // (Tmax, D/2)
        _cos = cat([angles.cos(), angles.cos()], -1).to_type(ScalarType.Float32).DetachFromDisposeScope();
        _sin = cat([-angles.sin(), angles.sin()], -1).to_type(ScalarType.Float32).DetachFromDisposeScope();
        Device = device;
    }

    public Device Device { get; }

    /// <summary>(Tmax, D) fp32: cos of each pair's angle, repeated over both halves.</summary>
    internal Tensor CosTable => _cos;

    /// <summary>(Tmax, D) fp32: sin of each pair's angle, the first half negated.</summary>
    internal Tensor SinTable => _sin;

    /// <summary>Rotates x (B, H, T, D) whose first token sits at absolute position <paramref name="start"/>.</summary>
    public Tensor Apply(Tensor x, long start)
    {
        // [x1, x2]·cos + [x2, x1]·[-sin, sin] = [x1 cos − x2 sin, x2 cos + x1 sin]: five ops, since decoding runs this per token.
        long T = x.shape[2], half = x.shape[3] / 2;
        var cos = _cos.narrow(0, start, T);                                               // (T, D)
        var sin = _sin.narrow(0, start, T);
        if (cos.dtype != x.dtype) { cos = cos.to_type(x.dtype); sin = sin.to_type(x.dtype); }
        using var rolled = x.roll(half, -1);                                               // not kept by autograd
        return (x * cos).addcmul_(rolled, sin, 1);                                         // (B, H, T, D)
    }

    /// <summary>Rotates x (B, H, 1, D): one token per row, row b at absolute position <paramref name="positions"/>[b].</summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        long B = x.shape[0], D = x.shape[3], half = D / 2;
        var cos = _cos.index_select(0, positions).view(B, 1, 1, D);                        // (B, 1, 1, D)
        var sin = _sin.index_select(0, positions).view(B, 1, 1, D);
        if (cos.dtype != x.dtype) { cos = cos.to_type(x.dtype); sin = sin.to_type(x.dtype); }
        return (x * cos).addcmul_(x.roll(half, -1), sin, 1);                               // (B, H, 1, D)
    }
}

/// <summary>Multi-head causal self-attention with optional grouped-query heads and QK-norm.</summary>
public sealed class Attention : nn.Module
{
    readonly Linear q_proj, k_proj, v_proj, o_proj;
    readonly RmsNorm? q_norm, k_norm;
    readonly int _heads, _kvHeads, _headSize;

    public Attention(GptConfig c) : base(nameof(Attention))
    {
        _heads = c.Heads; _kvHeads = c.KvHeads; _headSize = c.HeadSize;
        q_proj = nn.Linear(c.Width, c.Heads * c.HeadSize, hasBias: false);
        k_proj = nn.Linear(c.Width, c.KvHeads * c.HeadSize, hasBias: false);
        v_proj = nn.Linear(c.Width, c.KvHeads * c.HeadSize, hasBias: false);
        o_proj = nn.Linear(c.Heads * c.HeadSize, c.Width, hasBias: false);
        if (c.QkNorm) { q_norm = new RmsNorm(c.HeadSize, c.NormEps); k_norm = new RmsNorm(c.HeadSize, c.NormEps); }
        RegisterComponents();
    }

    /// <summary>Set by inspection code: when true, weights are computed explicitly and kept in <see cref="LastWeights"/>.</summary>
    public bool CaptureWeights { get; set; }
    public Tensor? LastWeights { get; private set; } // (B, H, T, S)

    public Linear OutProjection => o_proj;

    /// <summary>
    /// Training attention through libtorch's <c>scaled_dot_product_attention</c> even where <see
    /// cref="CausalAttentionFunction"/> applies: the path before it, kept for side-by-side benchmarks (`--attention sdpa`).
    /// </summary>
    public bool SdpaInTraining { get; set; }

    // Inference only (see Gpt.FuseForInference): q, k, v weights stacked into one matrix (the block's input norm folded in)
    // and the q/k norm weights per head, so a decoded token needs one projection, one norm and one rotation for queries
    // and keys together (fewer tiny ops, each ~1.5 µs); matrices in the inference precision.
    Tensor? _qkvWeight;    // (H·D + 2·K·D, C)
    Tensor? _qkNormWeight; // (H + K, 1, D)
    Tensor? _oWeight;      // (C, H·D)

    internal void Fuse(Tensor inputNorm, ScalarType precision)
    {
        _qkvWeight = Gpt.InferenceCopy(cat([q_proj.weight!, k_proj.weight!, v_proj.weight!], 0), inputNorm, precision)!;
        _oWeight = Gpt.InferenceCopy(o_proj.weight!, null, precision);
        if (q_norm is not null && k_norm is not null)
            _qkNormWeight = cat([q_norm.Weight.expand(_heads, _headSize), k_norm.Weight.expand(_kvHeads, _headSize)], 0)
                .view(_heads + _kvHeads, 1, _headSize).DetachFromDisposeScope();
    }

    /// <summary>The inference copies <see cref="FusedDecoder"/> reads; null until fused.</summary>
    internal (Tensor Qkv, Tensor? QkNorm, Tensor Out)? FusedWeights =>
        _qkvWeight is null ? null : (_qkvWeight, _qkNormWeight, _oWeight ?? o_proj.weight!);

    internal void Unfuse()
    {
        foreach (var t in new[] { _qkvWeight, _qkNormWeight, _oWeight }) t?.Dispose();
        (_qkvWeight, _qkNormWeight, _oWeight) = (null, null, null);
    }

    public Tensor forward(Tensor x, Rotary rope, KvCache.Layer? cache, Tensor? mask, ScalarType compute)
    {
        long B = x.shape[0], T = x.shape[1];
        long start = cache?.Length ?? 0;
        var rows = cache?.RowPositions; // rows at their own positions (continuous batching): one token each
        Tensor Rotate(Tensor t) => rows is null ? rope.Apply(t, start) : rope.Apply(t, rows);
        if (rows is not null) mask ??= cache!.RowMask;
        // One (C → (H+2K)·D) product instead of three, and the q/k norm and rotation run once on queries and keys
        // together: in training the stacked weights are built from the parameters each step (a few hundred KB, and
        // autograd routes their gradients back), while generating they are the fused copies.
        var qkvWeight = _qkvWeight ?? cat([q_proj.weight!, k_proj.weight!, v_proj.weight!], 0);
        var qkv = Gpt.Linear(x, qkvWeight, compute);                                        // (B, T, (H+2K)·D)
        if (qkv.dtype != compute) qkv = qkv.to_type(compute);                               // from half-precision copies
        Tensor q, k, v;
        if (cache is null && !CaptureWeights && FusedAutograd.Applies(qkv))
        {
            // Training in fp32: norm, rotation and the split into heads in one pass each way (QkNormRotaryFunction).
            using (qkv)
            using (var heads = qkv.view(B, T, _heads + 2 * _kvHeads, _headSize))          // (B, T, H+2K, D)
                (q, k, v) = QkNormRotaryFunction.Apply(heads, q_norm?.Weight, k_norm?.Weight, q_norm?.Eps ?? 0, rope,
                    _heads, _kvHeads);
        }
        else
        {
            var qkNormWeight = _qkNormWeight ?? (q_norm is null || k_norm is null ? null
                : cat([q_norm.Weight.expand(_heads, _headSize), k_norm.Weight.expand(_kvHeads, _headSize)], 0)
                    .view(_heads + _kvHeads, 1, _headSize));
            qkv = qkv.view(B, T, _heads + 2 * _kvHeads, _headSize).transpose(1, 2);          // (B, H+2K, T, D)
            var qk = qkv.narrow(1, 0, _heads + _kvHeads);                                    // (B, H+K, T, D)
            v = qkv.narrow(1, _heads + _kvHeads, _kvHeads);                                  // (B, K, T, D)
            if (qkNormWeight is not null)
            {
                // The normalised q/k is not kept by autograd once rotated (the rotation saves only its tables): freed now.
                using var n = RmsNorm.Normalize(qk, qkNormWeight, q_norm!.Eps);              // fp32
                using var cast = n.dtype == qk.dtype ? n : n.to_type(qk.dtype);
                qk = Rotate(cast);
            }
            else qk = Rotate(qk);
            (q, k) = (qk.narrow(1, 0, _heads), qk.narrow(1, _heads, _kvHeads));            // (B, H, T, D), (B, K, T, D)
        }
        if (cache is not null) (k, v) = cache.Append(k, v);                                   // (B, K, S, D)
        if (_kvHeads != _heads)
        {
            k = k.repeat_interleave(_heads / _kvHeads, 1);                                     // (B, H, S, D)
            v = v.repeat_interleave(_heads / _kvHeads, 1);
        }
        // Without a mask: a fresh sequence is plainly causal; one new token may see every cached key; several new tokens
        // after a cache need the causal mask shifted by the cache length.
        bool causal = mask is null && start == 0 && T > 1;
        if (mask is null && start > 0 && T > 1) mask = KvCache.ShiftedCausalMask(T, start, x.device);
        Tensor y;
        if (CaptureWeights)
        {
            var scores = matmul(q, k.transpose(-2, -1)) / Math.Sqrt(_headSize);              // (B, H, T, S)
            var allowed = mask ?? (causal ? ones(T, T, ScalarType.Bool, x.device).tril() : null);
            if (allowed is not null) scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
            var weights = scores.to_type(ScalarType.Float32).softmax(-1);
            LastWeights?.Dispose();
            LastWeights = weights.detach().MoveToOuterDisposeScope();
            y = matmul(weights.to_type(v.dtype), v);                                          // (B, H, T, D)
        }
        else if (causal && !SdpaInTraining && cache is null && CausalAttentionFunction.Applies(q, k, v))
        {
            // Training in fp32 on the CPU: the C# kernel (tiles that stop at the diagonal), already in (B, T, C).
            using (q) using (k) using (v)
            using (var attended = CausalAttentionFunction.Apply(q, k, v))
                return Gpt.Linear(attended, _oWeight ?? o_proj.weight!, compute);
        }
        else
        {
            y = F.scaled_dot_product_attention(q, k, v, mask, is_casual: causal);             // (B, H, T, D)
        }
        y = y.transpose(1, 2).reshape(B, T, _heads * _headSize);                               // (B, T, C)
        return Gpt.Linear(y, _oWeight ?? o_proj.weight!, compute);
    }
}

/// <summary>The position-wise MLP: ReLU² (two matrices) or SwiGLU (three).</summary>
public sealed class Mlp : nn.Module
{
    readonly Linear? gate_proj;
    readonly Linear up_proj, down_proj;

    public Mlp(GptConfig c) : base(nameof(Mlp))
    {
        if (c.Mlp == MlpKind.SwiGlu) gate_proj = nn.Linear(c.Width, c.MlpHiddenSize, hasBias: false);
        up_proj = nn.Linear(c.Width, c.MlpHiddenSize, hasBias: false);
        down_proj = nn.Linear(c.MlpHiddenSize, c.Width, hasBias: false);
        RegisterComponents();
    }

    public Linear OutProjection => down_proj;

    // Inference copies (see Gpt.FuseForInference): the block's second norm folded into gate and up, in the inference precision.
    Tensor? _gate, _up, _down;

    internal void Fuse(Tensor inputNorm, ScalarType precision)
    {
        _gate = gate_proj is null ? null : Gpt.InferenceCopy(gate_proj.weight!, inputNorm, precision);
        _up = Gpt.InferenceCopy(up_proj.weight!, inputNorm, precision)!;
        _down = Gpt.InferenceCopy(down_proj.weight!, null, precision);
    }

    /// <summary>The inference copies <see cref="FusedDecoder"/> reads; null until fused.</summary>
    internal (Tensor? Gate, Tensor Up, Tensor Down)? FusedWeights => _up is null ? null : (_gate, _up, _down ?? down_proj.weight!);

    internal void Unfuse()
    {
        foreach (var t in new[] { _gate, _up, _down }) t?.Dispose();
        (_gate, _up, _down) = (null, null, null);
    }

    public Tensor forward(Tensor x, ScalarType compute)
    {
        // Intermediates autograd does not keep (the product before relu, silu's input…) are freed as soon as they are used
        // rather than when the step's dispose scope ends: each is (B, T, hidden), the largest activations of a block.
        Tensor h;
        if (gate_proj is null)
        {
            using var up = Gpt.Linear(x, _up ?? up_proj.weight!, compute);                    // (B, T, hidden)
            if (FusedAutograd.Applies(up)) h = ReluSquaredFunction.Apply(up);                  // training in fp32
            else
                using (var relu = F.relu(up))
                    h = relu.square();
        }
        else if (_up is null)
        {
            // Training: gate and up as one (C → 2·hidden) product.
            long hidden = up_proj.weight!.shape[0];
            using var gateUp = Gpt.Linear(x, cat([gate_proj.weight!, up_proj.weight!], 0), compute); // (B, T, 2·hidden)
            using var gate = F.silu(gateUp.narrow(-1, 0, hidden));
            h = gate * gateUp.narrow(-1, hidden, hidden);
        }
        else
        {
            using var gate = F.silu(Gpt.Linear(x, _gate ?? gate_proj.weight!, compute));
            h = gate * Gpt.Linear(x, _up, compute);
        }
        using (h) return Gpt.Linear(h, _down ?? down_proj.weight!, compute);                // (B, T, C)
    }
}

/// <summary>One transformer block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class Block : nn.Module
{
    readonly RmsNorm input_layernorm, post_attention_layernorm;
    readonly Attention self_attn;
    readonly Mlp mlp;

    public Block(GptConfig c) : base(nameof(Block))
    {
        input_layernorm = new RmsNorm(c.Width, c.NormEps);
        self_attn = new Attention(c);
        post_attention_layernorm = new RmsNorm(c.Width, c.NormEps);
        mlp = new Mlp(c);
        RegisterComponents();
    }

    public Attention Attention => self_attn;
    public Mlp Mlp => mlp;

    internal void Fuse(bool on, ScalarType precision)
    {
        input_layernorm.Folded = post_attention_layernorm.Folded = on;
        if (!on) { self_attn.Unfuse(); mlp.Unfuse(); return; }
        self_attn.Fuse(input_layernorm.Weight, precision);
        mlp.Fuse(post_attention_layernorm.Weight, precision);
    }

    public Tensor forward(Tensor x, Rotary rope, KvCache.Layer? cache, Tensor? mask, ScalarType compute)
    {
        // The norms' results are not needed once the sublayer has read them (autograd keeps what it needs).
        using (var normed = input_layernorm.forward(x))
            x = Residual(x, self_attn.forward(normed, rope, cache, mask, compute));                  // (B, T, C)
        using (var normed = post_attention_layernorm.forward(x))
            return Residual(x, mlp.forward(normed, compute));                                        // (B, T, C)
    }

    /// <summary>
    /// x + output, added into <paramref name="output"/> (a projection's fresh result, whose backward needs only its inputs)
    /// when both share a dtype; a bf16 output of a bf16 matmul is promoted into the fp32 stream instead.
    /// </summary>
    static Tensor Residual(Tensor x, Tensor output) => output.dtype == x.dtype ? output.add_(x) : x + output;
}

/// <summary>Embedding, the blocks and the final norm: the "model." prefix of the Llama naming.</summary>
public sealed class GptTrunk : nn.Module
{
    internal readonly Embedding embed_tokens;
    internal readonly ModuleList<Block> layers;
    internal readonly RmsNorm norm;

    public GptTrunk(GptConfig c) : base(nameof(GptTrunk))
    {
        embed_tokens = nn.Embedding(c.VocabSize, c.Width);
        layers = nn.ModuleList(Enumerable.Range(0, c.Depth).Select(_ => new Block(c)).ToArray());
        norm = new RmsNorm(c.Width, c.NormEps);
        RegisterComponents();
    }
}

/// <summary>The GPT: token ids (B, T) → logits over the vocabulary (B, T, V) and, with targets, the cross-entropy.</summary>
public sealed class Gpt : nn.Module<Tensor, Tensor>
{
    /// <summary>Targets with this value (masked prompt tokens, padding) contribute nothing to the loss.</summary>
    public const long IgnoreIndex = -1;

    readonly GptTrunk model;
    readonly Linear? lm_head;
    Rotary? _rope;

    public Gpt(GptConfig config) : base(nameof(Gpt))
    {
        Config = config.Validate();
        model = new GptTrunk(config);
        if (!config.TieEmbeddings) lm_head = nn.Linear(config.Width, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitWeights();
    }

    public GptConfig Config { get; }

    /// <summary>Matmul precision: Float32, or BFloat16 with fp32 master weights (cast on the fly, no autocast in TorchSharp).</summary>
    public ScalarType ComputeType { get; set; } = ScalarType.Float32;

    public IReadOnlyList<Block> Blocks => model.layers.ToList();

    int _fusions;
    ScalarType _fusedPrecision;
    Tensor? _headWeight; // inference copy of the head with the final norm folded in

    /// <summary>
    /// For generation: until disposed, the forward pass uses inference copies of the weights: q/k/v stacked into one
    /// projection, every norm weight folded into the matrix after it (W·diag(w)), the matrices in <paramref name="precision"/>
    /// (Float32; BFloat16 or Float16 halve the bytes each decoded token streams). That removes about a third of the tiny ops
    /// per decoded token. The copies are taken now: fuse after training steps, not before. Nested fuses share the copies.
    /// While fused, <see cref="Hidden"/> leaves out the final norm's weight (it lives in the head copy): pass its result
    /// to <see cref="Logits"/> only.
    /// </summary>
    public IDisposable FuseForInference(ScalarType precision = ScalarType.Float32)
    {
        if (precision is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new Core.SharpLmException($"inference precision must be fp32, fp16 or bf16 (got {precision})");
        if (_fusions > 0 && precision != _fusedPrecision)
            throw new Core.SharpLmException($"the model is already fused for inference in {_fusedPrecision}, not {precision}");
        if (_fusions++ == 0)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            foreach (var block in model.layers) block.Fuse(true, precision);
            _headWeight = InferenceCopy(HeadWeight, model.norm.Weight, precision)!;
            model.norm.Folded = true;
            _fusedPrecision = precision;
            if (FusedDecoder.Unsupported(this) is null) Decoder = new FusedDecoder(this);
        }
        return new Unfuse(this);
    }

    /// <summary>
    /// While fused in fp32 on the CPU: the decode step that runs without libtorch ops (<see cref="FusedDecoder"/>), which
    /// <see cref="Inference.Generator"/> and <see cref="Inference.DecodeBatch"/> use for steps it applies to; null otherwise.
    /// </summary>
    public FusedDecoder? Decoder { get; private set; }

    /// <summary>The precision of the inference copies while fused; null when not fused.</summary>
    public ScalarType? FusedPrecision => _fusions > 0 ? _fusedPrecision : null;

    /// <summary>The head's inference copy (final norm folded in) while fused; null otherwise.</summary>
    internal Tensor? FusedHeadWeight => _headWeight;

    (float[] Cos, float[] Sin)? _decodeRotary;

    /// <summary>The rotary tables of <see cref="FusedDecoder"/>, built once per model.</summary>
    internal (float[] Cos, float[] Sin) DecodeRotaryTables => _decodeRotary ??= FusedDecoder.RotaryTables(Config);

    sealed class Unfuse(Gpt gpt) : IDisposable
    {
        bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            if (--gpt._fusions > 0) return;
            gpt.Decoder?.Dispose();
            gpt.Decoder = null;
            foreach (var block in gpt.model.layers) block.Fuse(false, gpt._fusedPrecision);
            gpt._headWeight?.Dispose();
            gpt._headWeight = null;
            gpt.model.norm.Folded = false;
        }
    }

    /// <summary>
    /// <paramref name="weight"/> (out, in) with a norm weight (in) folded into its columns, in <paramref name="dtype"/>, as a
    /// detached copy; null when that would equal the weight itself (then the parameter is used).
    /// </summary>
    internal static Tensor? InferenceCopy(Tensor weight, Tensor? norm, ScalarType dtype)
    {
        if (norm is null && weight.dtype == dtype) return null;
        var w = norm is null ? weight : weight * norm;
        return w.to_type(dtype).contiguous().DetachFromDisposeScope();
    }

    public Embedding Embedding => model.embed_tokens;
    public Tensor HeadWeight => lm_head?.weight ?? model.embed_tokens.weight!;

    /// <summary>GPT-2 initialisation: N(0, 0.02), residual output projections scaled by 1/√(2·depth), norms at 1.</summary>
    void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("layernorm.weight", StringComparison.Ordinal))
                p.fill_(1.0);
            else if (name.EndsWith("o_proj.weight", StringComparison.Ordinal) || name.EndsWith("down_proj.weight", StringComparison.Ordinal))
                p.normal_(0, 0.02 / Math.Sqrt(2 * Config.Depth));
            else
                p.normal_(0, 0.02);
        }
    }

    /// <summary>Final hidden states (B, T, C) after the last norm. With a cache, tokens continue where the cache ends.</summary>
    /// <param name="mask">Optional boolean attention mask broadcastable to (B, H, T, S), true = may attend (must include causality).</param>
    /// <param name="layerOutputs">When given, receives the residual stream after the embedding and after every block.</param>
    public Tensor Hidden(Tensor idx, KvCache? cache = null, Tensor? mask = null, IList<Tensor>? layerOutputs = null)
    {
        long T = idx.shape[1], start = cache?.Length ?? 0;
        if (start + T > Config.ContextLength)
            throw new Core.SharpLmException(
                $"sequence of {start + T} tokens exceeds the model's context length {Config.ContextLength}");
        var rope = Rope(idx.device);
        var x = model.embed_tokens.forward(idx);                                                // (B, T, C)
        layerOutputs?.Add(x);
        for (int i = 0; i < model.layers.Count; i++)
        {
            x = model.layers[i].forward(x, rope, cache?.Layers[i], mask, ComputeType);         // (B, T, C)
            layerOutputs?.Add(x);
        }
        cache?.Advance(T);
        return model.norm.forward(x);                                                           // (B, T, C)
    }

    /// <summary>The final norm alone, for a residual stream (B, T, C) taken from <see cref="Hidden"/>'s layerOutputs (logit lens).</summary>
    public Tensor FinalNorm(Tensor residual) => model.norm.forward(residual);

    /// <summary>Logits (B, T, V) from hidden states, in fp32.</summary>
    public Tensor Logits(Tensor hidden) => LogitsOf(hidden, _headWeight ?? HeadWeight);

    Tensor LogitsOf(Tensor hidden, Tensor weight)
    {
        var logits = Linear(hidden, weight, ComputeType);
        return logits.dtype == ScalarType.Float32 ? logits : logits.to_type(ScalarType.Float32);
    }

    public override Tensor forward(Tensor idx) => Logits(Hidden(idx));

    /// <summary>Mean cross-entropy of logits (B, T, V) against targets (B, T), skipping <see cref="IgnoreIndex"/>.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets)
    {
        using var rows = logits.reshape(-1, logits.shape[^1]);                                 // (B·T, V), a view
        using var flatTargets = targets.reshape(-1);
        return F.cross_entropy(rows, flatTargets, ignore_index: IgnoreIndex);
    }

    /// <summary>Forward pass and loss in one call, for training loops.</summary>
    /// <param name="chunkRows">Rows of logits computed at a time (<see cref="HeadLoss"/>); 0: about 4M logits.</param>
    public Tensor Loss(Tensor idx, Tensor targets, long chunkRows = 0)
    {
        // The head and the loss run over chunks of rows: the full logits and their gradients (B·T·V floats each, the
        // largest activations) are never all alive at once.
        using var hidden = Hidden(idx);
        return HeadLoss.Compute(hidden, _headWeight ?? HeadWeight, targets, LogitsOf, chunkRows);
    }

    Rotary Rope(Device device)
    {
        // Device has no value equality: compare its parts, or the tables are rebuilt (sin, cos, cat) on every forward pass,
        // ~6 % of a decoded token (perf, issue 15).
        if (_rope is null || _rope.Device.type != device.type || _rope.Device.index != device.index)
            _rope = new Rotary(Config.ContextLength, Config.HeadSize, Config.RopeBase, device);
        return _rope;
    }

    internal static Tensor Linear(Tensor x, Linear layer, ScalarType compute) => Linear(x, layer.weight!, compute);

    /// <summary>x·Wᵀ in <paramref name="compute"/>, or in the weight's own precision for a half-precision inference copy.</summary>
    internal static Tensor Linear(Tensor x, Tensor weight, ScalarType compute)
    {
        var dtype = weight.dtype == ScalarType.Float32 ? compute : weight.dtype;
        if (dtype == ScalarType.Float32 && SmallBatchLinear.Applies(x, weight)) return SmallBatchLinear.Forward(x, weight);
        return F.linear(x.dtype == dtype ? x : x.to_type(dtype), weight.dtype == dtype ? weight : weight.to_type(dtype));
    }
}

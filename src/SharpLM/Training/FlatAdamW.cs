using System.Numerics;
using System.Runtime.CompilerServices;
using SharpLM.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>
/// AdamW with the same update as <see cref="InPlaceAdamW"/> (TorchSharp's, op for op), over weights, gradients and both
/// moments that each live in one flat fp32 buffer, every parameter, its <c>.grad</c> and its moments being views into
/// them. Clipping is then one read pass for the norm and at most one scale of the gradient buffer
/// (<see cref="ClipGradNorm"/>); the update is one C# pass over the four buffers split over libtorch's threads (weight,
/// gradient and moments read once, weight and moments written once: 7 passes over the parameter count where the
/// per-parameter ops make ~22, and no small op per parameter); <see cref="zero_grad"/> is one fill. The buffers are
/// allocated once, before the first step, rather than each gradient during the first backward pass (issue 18,
/// bench/RESULTS.md b2, fourth pass).
/// </summary>
/// <remarks>
/// The model's parameters are moved into the weight buffer (libtorch's <c>set_</c>: the same tensors, now views), so the
/// model sees the updates without copies. Gradients exist from the start (zeros), so a parameter the loss never reaches
/// still gets weight decay, where TorchSharp skips a parameter whose gradient was never set; after its first gradient the
/// two agree, since TorchSharp's <c>zero_grad</c> zeroes rather than unsets. A gradient, moment or weight that someone
/// replaced (another gradient buffer, an in-memory state load) is copied back into its view before it is used.
/// Only fp32 CPU parameters, each in one group once (<see cref="Supports"/>); amsgrad and maximize are not supported.
/// </remarks>
public sealed class FlatAdamW : AdamW
{
    readonly Parameter[] _parameters;
    readonly long[] _offsets;
    readonly (ParamGroup Group, int First, int End)[] _groups;
    readonly Tensor _weights, _grads, _expAvg, _expAvgSq;

    /// <summary>Whether the flat layout can hold <paramref name="groups"/>' parameters.</summary>
    public static bool Supports(IEnumerable<ParamGroup> groups)
    {
        var all = groups.SelectMany(g => g.Parameters).ToList();
        return all.Count > 0
               && all.All(p => p.dtype == ScalarType.Float32 && p.device_type == DeviceType.CPU && p.is_contiguous())
               && all.Select(p => p.Handle).Distinct().Count() == all.Count
               && all.Select(SmallBatchLinear.Address).Distinct().Count() == all.Count;
    }

    public FlatAdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(groups, lr, beta1, beta2, eps, weightDecay)
    {
        var paramGroups = ParamGroups.Cast<ParamGroup>().ToList();
        if (!Supports(paramGroups))
            throw new ArgumentException("FlatAdamW holds distinct contiguous fp32 CPU parameters only", nameof(groups));
        if (paramGroups.Any(g => g.Options.amsgrad == true || g.Options.maximize == true))
            throw new ArgumentException("FlatAdamW supports neither amsgrad nor maximize", nameof(groups));
        _parameters = [.. paramGroups.SelectMany(g => g.Parameters)];
        _offsets = new long[_parameters.Length + 1];
        for (int i = 0; i < _parameters.Length; i++) _offsets[i + 1] = _offsets[i] + _parameters[i].numel();
        _groups = new (ParamGroup, int, int)[paramGroups.Count];
        for (int g = 0, i = 0; g < paramGroups.Count; g++)
        {
            int count = paramGroups[g].Parameters.Count();
            _groups[g] = (paramGroups[g], i, i + count);
            i += count;
        }
        long n = _offsets[^1];
        // Allocated before anything else of the optimizer's, and kept outside any caller's dispose scope.
        _weights = empty(n, ScalarType.Float32).DetachFromDisposeScope();
        _grads = zeros(n, ScalarType.Float32).DetachFromDisposeScope();
        _expAvg = zeros(n, ScalarType.Float32).DetachFromDisposeScope();
        _expAvgSq = zeros(n, ScalarType.Float32).DetachFromDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            using (var weight = View(_weights, i)) p.set_(weight.copy_(p));
            var state = (State)_state[p.Handle];
            state.exp_avg.Dispose();                       // the base class's per-parameter moments, all zeros
            state.exp_avg_sq.Dispose();
            state.exp_avg = View(_expAvg, i);
            state.exp_avg_sq = View(_expAvgSq, i);
        }
        Attach();
    }

    /// <summary>Elements in all parameters.</summary>
    public long Elements => _offsets[^1];

    /// <summary>Whether <paramref name="parameters"/> are exactly this optimizer's parameters (any order).</summary>
    public bool Holds(IReadOnlyCollection<Parameter> parameters) =>
        parameters.Count == _parameters.Length
        && parameters.Select(SmallBatchLinear.Address).ToHashSet().SetEquals(_parameters.Select(SmallBatchLinear.Address));

    /// <summary>
    /// Clips the global L2 norm of all gradients to <paramref name="maxNorm"/> as <c>clip_grad_norm_</c> does (scale by
    /// maxNorm / (norm + 1e-6) when that is below 1) and returns the norm before clipping.
    /// </summary>
    public double ClipGradNorm(double maxNorm)
    {
        Attach();
        double total = Math.Sqrt(SumOfSquares());
        double scale = maxNorm / (total + 1e-6);
        if (double.IsFinite(total) && scale < 1) _grads.mul_(scale);
        return total;
    }

    /// <summary>Σ g² over the gradient buffer in one read pass (float sums per chunk, double across chunks).</summary>
    unsafe double SumOfSquares()
    {
        const int Chunk = 16_384;
        nint gs = SmallBatchLinear.Address(_grads);
        long chunks = (Elements + Chunk - 1) / Chunk;
        var parts = new double[Math.Max(1, get_num_threads())];
        FusedAutograd.Split(chunks, (part, from, to) =>
        {
            double sum = 0;
            for (long c = from; c < to; c++)
            {
                float* g = (float*)gs + c * Chunk;
                sum += SmallBatchLinear.Dot(g, g, (int)Math.Min(Chunk, Elements - c * Chunk), SmallBatchLinear.BestVectorBits);
            }
            parts[part] = sum;
        });
        return parts.Sum();
    }

    /// <summary>Zeroes every gradient: one fill of the gradient buffer.</summary>
    public override void zero_grad()
    {
        Attach();
        _grads.zero_();
    }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure is not null) throw new NotSupportedException("FlatAdamW takes no closure");
        Attach();
        var states = _parameters.Select(p => (State)_state[p.Handle]).ToArray();
        foreach (var (group, first, end) in _groups)
            // Runs of parameters with the same step count share their bias corrections (all of them, in practice).
            for (int i = first; i < end;)
            {
                int j = i;
                long step = ++states[i].step;
                while (j + 1 < end && states[j + 1].step + 1 == step) states[++j].step = step;
                Update(_offsets[i], _offsets[j + 1], step, group.Options);
                i = j + 1;
            }
        return null!;
    }

    /// <summary>The AdamW update of elements [from, to) at bias-correction step <paramref name="step"/>.</summary>
    unsafe void Update(long from, long to, long step, AdamW.Options o)
    {
        double beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, lr = o.LearningRate!.Value, decay = o.weight_decay!.Value;
        var k = new Coefficients
        {
            Decay = decay != 0, KeepAfterDecay = (float)(1 - lr * decay),
            Beta1 = (float)beta1, OneMinusBeta1 = (float)(1 - beta1),
            Beta2 = (float)beta2, OneMinusBeta2 = (float)(1 - beta2),
            SqrtCorrection2 = (float)Math.Sqrt(1 - Math.Pow(beta2, step)), Eps = (float)o.eps!.Value,
            StepSize = (float)(-lr / (1 - Math.Pow(beta1, step))),
        };
        float* p = (float*)SmallBatchLinear.Address(_weights) + from, g = (float*)SmallBatchLinear.Address(_grads) + from;
        float* m = (float*)SmallBatchLinear.Address(_expAvg) + from;
        float* v = (float*)SmallBatchLinear.Address(_expAvgSq) + from;
        long n = to - from, w = Vector<float>.Count, blocks = n / w;
        nint ps = (nint)p, gs = (nint)g, ms = (nint)m, vs = (nint)v;
        FusedAutograd.Split(blocks, (_, a, b) =>
            Run((float*)ps + a * w, (float*)gs + a * w, (float*)ms + a * w, (float*)vs + a * w, (b - a) * w, k));
        Run(p + blocks * w, g + blocks * w, m + blocks * w, v + blocks * w, n - blocks * w, k);
    }

    struct Coefficients
    {
        public bool Decay;
        public float KeepAfterDecay, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, SqrtCorrection2, Eps, StepSize;
    }

    /// <summary>
    /// The update over n elements, in the order of <see cref="InPlaceAdamW"/>'s ops, each rounded to fp32 as they are:
    /// p·(1 − lr·λ); m·β₁ + (1 − β₁)·g; v·β₂ + (1 − β₂)·g·g; p + (−lr / c₁)·m / (√v / √c₂ + ε).
    /// </summary>
    static unsafe void Run(float* p, float* g, float* m, float* v, long n, in Coefficients k)
    {
        long i = 0, w = Vector<float>.Count;
        Vector<float> keep = new(k.KeepAfterDecay), b1 = new(k.Beta1), c1 = new(k.OneMinusBeta1), b2 = new(k.Beta2),
            c2 = new(k.OneMinusBeta2), sc2 = new(k.SqrtCorrection2), eps = new(k.Eps), size = new(k.StepSize);
        for (; i + w <= n; i += w)
        {
            var gv = Unsafe.ReadUnaligned<Vector<float>>(g + i);
            var pv = Unsafe.ReadUnaligned<Vector<float>>(p + i);
            if (k.Decay) pv *= keep;
            var mv = Unsafe.ReadUnaligned<Vector<float>>(m + i) * b1 + c1 * gv;
            var vv = Unsafe.ReadUnaligned<Vector<float>>(v + i) * b2 + c2 * gv * gv;
            Unsafe.WriteUnaligned(m + i, mv);
            Unsafe.WriteUnaligned(v + i, vv);
            Unsafe.WriteUnaligned(p + i, pv + size * mv / (Vector.SquareRoot(vv) / sc2 + eps));
        }
        for (; i < n; i++)
        {
            float pv = k.Decay ? p[i] * k.KeepAfterDecay : p[i];
            m[i] = m[i] * k.Beta1 + k.OneMinusBeta1 * g[i];
            v[i] = v[i] * k.Beta2 + k.OneMinusBeta2 * g[i] * g[i];
            p[i] = pv + k.StepSize * m[i] / (MathF.Sqrt(v[i]) / k.SqrtCorrection2 + k.Eps);
        }
    }

    /// <summary>Parameter i's view of a buffer, outside any dispose scope (the moments keep theirs).</summary>
    Tensor View(Tensor flat, int i)
    {
        using var slice = flat.narrow(0, _offsets[i], _offsets[i + 1] - _offsets[i]);
        return slice.view(_parameters[i].shape).DetachFromDisposeScope();
    }

    /// <summary>
    /// Makes sure every parameter, gradient and moment is its view of the buffers, copying back one that was replaced
    /// (a gradient assigned by another gradient buffer or a caller; a moment replaced by an in-memory state load).
    /// </summary>
    void Attach()
    {
        nint weights = SmallBatchLinear.Address(_weights), grads = SmallBatchLinear.Address(_grads);
        nint expAvg = SmallBatchLinear.Address(_expAvg), expAvgSq = SmallBatchLinear.Address(_expAvgSq);
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            long offset = _offsets[i] * sizeof(float);
            if (_offsets[i + 1] == _offsets[i]) continue;
            if (SmallBatchLinear.Address(p) != weights + offset)
                using (var view = View(_weights, i)) p.set_(view.copy_(p));
            using (var grad = p.grad)
                if (grad is null || !grad.is_contiguous() || SmallBatchLinear.Address(grad) != grads + offset)
                {
                    using var view = View(_grads, i);
                    if (grad is null) view.zero_(); else view.copy_(grad);
                    p.grad = view;                         // libtorch keeps its own reference
                }
            var state = (State)_state[p.Handle];
            if (SmallBatchLinear.Address(state.exp_avg) != expAvg + offset)
                state.exp_avg = Adopt(View(_expAvg, i), state.exp_avg);
            if (SmallBatchLinear.Address(state.exp_avg_sq) != expAvgSq + offset)
                state.exp_avg_sq = Adopt(View(_expAvgSq, i), state.exp_avg_sq);
        }
    }

    static Tensor Adopt(Tensor view, Tensor replaced)
    {
        view.copy_(replaced);
        replaced.Dispose();
        return view;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _weights.Dispose();
        _grads.Dispose();
        _expAvg.Dispose();
        _expAvgSq.Dispose();
    }
}

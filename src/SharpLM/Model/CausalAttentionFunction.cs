using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// Causal self-attention of a fresh sequence for training in fp32 on the CPU, forward and backward, through
/// <see cref="CausalAttentionKernel"/>: per head, register-blocked products that stop at the diagonal and the softmax
/// as row passes, on a working set that stays in the core's cache. libtorch's <c>scaled_dot_product_attention</c> on the
/// CPU ran at ~30 % of the machine's matmul peak on the causal work of the reference shape (bench/RESULTS.md, b2); the
/// bench's <c>attention</c> verb measures the two side by side. Forward keeps only each row's log-sum-exp; backward
/// recomputes the probabilities (one more product, no (T, T) block per head held between the passes). The output is
/// (B, T, H·D), the layout the output projection reads, so the caller's transpose and copy go away. Same result as
/// <c>scaled_dot_product_attention(q, k, v, is_causal)</c> up to the order of sums and a float exp within ~2 ulp.
/// </summary>
public sealed unsafe class CausalAttentionFunction : autograd.SingleTensorFunction<CausalAttentionFunction>
{
    public override string Name => "SharpLmCausalAttention";

    /// <summary>Whether this CPU runs the kernel (AVX2 with FMA, or AVX-512); elsewhere SDPA serves every case.</summary>
    public static bool KernelSupported => CausalAttentionKernel.Supported;

    /// <summary>
    /// Whether the kernel's AVX-512 tiles run (the default where the CPU has them) or its AVX2 ones: set by tests and the
    /// bench to exercise the AVX2 tiles on an AVX-512 machine. Process-wide: not to be changed while attention runs.
    /// </summary>
    public static bool Avx512Tiles
    {
        get => CausalAttentionKernel.Wide;
        set => CausalAttentionKernel.Wide = value && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
    }

    /// <summary>
    /// Longest context handled: each worker holds two (T, T) fp32 blocks of one head (2 × 64 MB at 4,096); longer
    /// sequences go to SDPA, which keeps only tiles.
    /// </summary>
    public const int MaxContext = 4096;

    /// <summary>
    /// Whether this function handles q, k, v (B, H, T, D): contiguous fp32 of one shape on the CPU, in training, T ≥ 2,
    /// a head size the kernel's tiles cover (a multiple of 32 with AVX-512, 16 with AVX2).
    /// </summary>
    public static bool Applies(Tensor q, Tensor k, Tensor v) =>
        FusedAutograd.Applies(q) && q.dim() == 4 && q.shape[2] > 1 && q.shape[2] <= MaxContext
        && CausalAttentionKernel.Supported && CausalAttentionKernel.HeadSizeFits(q.shape[3])
        && k.dtype == ScalarType.Float32 && v.dtype == ScalarType.Float32 && k.is_contiguous() && v.is_contiguous()
        && k.device_type == DeviceType.CPU && v.device_type == DeviceType.CPU
        && k.shape.SequenceEqual(q.shape) && v.shape.SequenceEqual(q.shape);

    /// <summary>y (B, T, H·D) = causal attention of q, k, v (B, H, T, D) (see <see cref="Applies"/>).</summary>
    public static Tensor Apply(Tensor q, Tensor k, Tensor v)
    {
        if (!Applies(q, k, v))
            throw new ArgumentException($"causal attention kernel: q/k/v of shapes [{string.Join(", ", q.shape)}], " +
                $"[{string.Join(", ", k.shape)}], [{string.Join(", ", v.shape)}] are not handled (see Applies)");
        FusedAutograd.ReleaseReturned();
        var y = apply(q, k, v);
        FusedAutograd.ForgetForward(ref t_context, ref t_output);
        return y;
    }

    [ThreadStatic] static autograd.AutogradContext? t_context;
    [ThreadStatic] static Tensor? t_output;

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Tensor q = (Tensor)vars[0], k = (Tensor)vars[1], v = (Tensor)vars[2];
        int B = (int)q.shape[0], H = (int)q.shape[1], T = (int)q.shape[2], D = (int)q.shape[3];
        var y = empty([B, T, H * D], ScalarType.Float32, q.device);
        var lse = empty([B * H, T], ScalarType.Float32, q.device);
        CausalAttentionKernel.Forward(Address(q), Address(k), Address(v), Address(y), Address(lse), B, H, T, D);
        ctx.save_data("saved", new FusedAutograd.Saved(q.alias(), k.alias(), v.alias(), lse));
        (t_context, t_output) = (ctx, y);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var saved = (FusedAutograd.Saved)ctx.get_data("saved");
        Tensor q = saved[0]!, k = saved[1]!, v = saved[2]!, lse = saved[3]!;
        int B = (int)q.shape[0], H = (int)q.shape[1], T = (int)q.shape[2], D = (int)q.shape[3];
        using var dy = FusedAutograd.Contiguous(gradOutput);
        var (dq, dk, dv) = (empty_like(q), empty_like(k), empty_like(v));
        CausalAttentionKernel.Backward(Address(q), Address(k), Address(v), Address(lse), Address(dy), Address(dq),
            Address(dk), Address(dv), B, H, T, D);
        return FusedAutograd.Return(dq, dk, dv);
    }

    static float* Address(Tensor t) => (float*)SmallBatchLinear.Address(t);
}

using System.Numerics;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// ReLU² (h = max(u, 0)²) for training in one pass forward and one backward, keeping only h, which the next product
/// keeps anyway: du = 2·√h·dh, since √h = max(u, 0) exactly in fp32 (barring underflow). libtorch's path runs relu and square
/// forward and three ops backward (square's two products, relu's threshold) and keeps relu(u) besides h: one more of the
/// MLP's largest activations (B·T·hidden floats, 16 MB per layer at the reference configuration).
/// </summary>
public sealed unsafe class ReluSquaredFunction : autograd.SingleTensorFunction<ReluSquaredFunction>
{
    public override string Name => "SharpLmReluSquared";

    /// <summary>max(u, 0)² of a contiguous fp32 u.</summary>
    public static Tensor Apply(Tensor u)
    {
        FusedAutograd.ReleaseReturned();
        var h = apply(u);
        FusedAutograd.DropOutputCache(t_context!);
        t_context = null;
        return h;
    }

    [ThreadStatic] static autograd.AutogradContext? t_context;

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var u = (Tensor)vars[0];
        var h = empty_like(u);
        nint us = SmallBatchLinear.Address(u), hs = SmallBatchLinear.Address(h);
        FusedAutograd.Split(u.numel() / Vector<float>.Count, (_, from, to) =>
        {
            float* x = (float*)us, y = (float*)hs;
            int w = Vector<float>.Count;
            for (long i = from * w; i < to * w; i += w)
            {
                var r = Vector.Max(Unsafe.ReadUnaligned<Vector<float>>(x + i), Vector<float>.Zero);
                Unsafe.WriteUnaligned(y + i, r * r);
            }
        });
        for (long i = u.numel() / Vector<float>.Count * Vector<float>.Count; i < u.numel(); i++)
        {
            float r = Math.Max(((float*)us)[i], 0f);
            ((float*)hs)[i] = r * r;
        }
        // Forward's own handle of h (autograd gives the caller another): the backward's, not a copy.
        ctx.save_data("saved", new FusedAutograd.Saved(h));
        t_context = ctx;
        return h;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var saved = (FusedAutograd.Saved)ctx.get_data("saved");
        var h = saved[0]!;
        using var dh = FusedAutograd.Contiguous(gradOutput);
        var du = empty_like(h);
        nint hs = SmallBatchLinear.Address(h), dhs = SmallBatchLinear.Address(dh), dus = SmallBatchLinear.Address(du);
        FusedAutograd.Split(h.numel() / Vector<float>.Count, (_, from, to) =>
        {
            float* y = (float*)hs, g = (float*)dhs, dx = (float*)dus;
            int w = Vector<float>.Count;
            var two = new Vector<float>(2f);
            for (long i = from * w; i < to * w; i += w)
                Unsafe.WriteUnaligned(dx + i,
                    two * Vector.SquareRoot(Unsafe.ReadUnaligned<Vector<float>>(y + i)) * Unsafe.ReadUnaligned<Vector<float>>(g + i));
        });
        for (long i = h.numel() / Vector<float>.Count * Vector<float>.Count; i < h.numel(); i++)
            ((float*)dus)[i] = 2f * MathF.Sqrt(((float*)hs)[i]) * ((float*)dhs)[i];
        return FusedAutograd.Return(du);
    }
}

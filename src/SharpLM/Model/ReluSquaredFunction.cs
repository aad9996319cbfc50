using System.Numerics;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// ReLU² (max(u, 0)²) for training in one pass forward and one backward (du = 2·max(u, 0)·dh), keeping u. libtorch's
/// path runs relu and square forward and three ops backward (square's two products, relu's threshold) over the MLP's
/// largest activation (B·T·hidden floats). Same result as <c>relu(u).square()</c>.
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
        t_output!.Dispose();   // forward's own handle of the output; the caller gets autograd's
        (t_context, t_output) = (null, null);
        return h;
    }

    [ThreadStatic] static autograd.AutogradContext? t_context;
    [ThreadStatic] static Tensor? t_output;

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
        ctx.save_data("saved", new FusedAutograd.Saved(u.alias()));
        (t_context, t_output) = (ctx, h);
        return h;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var saved = (FusedAutograd.Saved)ctx.get_data("saved");
        var u = saved[0]!;
        using var dh = FusedAutograd.Contiguous(gradOutput);
        var du = empty_like(u);
        nint us = SmallBatchLinear.Address(u), dhs = SmallBatchLinear.Address(dh), dus = SmallBatchLinear.Address(du);
        FusedAutograd.Split(u.numel() / Vector<float>.Count, (_, from, to) =>
        {
            float* x = (float*)us, g = (float*)dhs, dx = (float*)dus;
            int w = Vector<float>.Count;
            var two = new Vector<float>(2f);
            for (long i = from * w; i < to * w; i += w)
            {
                var r = Vector.Max(Unsafe.ReadUnaligned<Vector<float>>(x + i), Vector<float>.Zero);
                Unsafe.WriteUnaligned(dx + i, two * r * Unsafe.ReadUnaligned<Vector<float>>(g + i));
            }
        });
        for (long i = u.numel() / Vector<float>.Count * Vector<float>.Count; i < u.numel(); i++)
            ((float*)dus)[i] = 2f * Math.Max(((float*)us)[i], 0f) * ((float*)dhs)[i];
        return FusedAutograd.Return(du);
    }
}

using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// RMSNorm x / rms(x) · weight over the last dimension, for training: one pass forward, one pass backward, keeping only
/// x and each row's 1/rms. libtorch's path (square, mean, add, rsqrt, two products) runs ~6 passes forward and ~10
/// backward and keeps the normalised x as well. Same result as <see cref="RmsNorm.Normalize"/> up to the order of sums.
/// </summary>
public sealed unsafe class RmsNormFunction : autograd.SingleTensorFunction<RmsNormFunction>
{
    public override string Name => "SharpLmRmsNorm";

    /// <summary>x (…, C) contiguous fp32 normalised over C, times weight (C) when given.</summary>
    public static Tensor Apply(Tensor x, Tensor? weight, double eps)
    {
        FusedAutograd.ReleaseReturned();
        var y = apply(x, weight!, eps);
        FusedAutograd.ForgetForward(ref t_context, ref t_output);
        return y;
    }

    [ThreadStatic] static autograd.AutogradContext? t_context;
    [ThreadStatic] static Tensor? t_output;

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var weight = vars[1] as Tensor;
        float eps = (float)(double)vars[2];
        int n = (int)x.shape[^1];
        long rows = x.numel() / n;
        var y = empty_like(x);
        var rstd = empty(rows, ScalarType.Float32, x.device);
        nint xa = SmallBatchLinear.Address(x), ya = SmallBatchLinear.Address(y), ra = SmallBatchLinear.Address(rstd);
        nint wa = weight is null ? 0 : SmallBatchLinear.Address(weight);
        FusedAutograd.Split(rows, (_, from, to) =>
        {
            float* xs = (float*)xa, ys = (float*)ya, r = (float*)ra, w = (float*)wa;
            for (long i = from; i < to; i++)
            {
                float* row = xs + i * n;
                float s = 1f / MathF.Sqrt(SmallBatchLinear.Dot(row, row, n, SmallBatchLinear.BestVectorBits) / n + eps);
                r[i] = s;
                FusedAutograd.Scale(row, ys + i * n, s, w, n);
            }
        });
        ctx.save_data("saved", new FusedAutograd.Saved(x.alias(), weight?.alias(), rstd));
        (t_context, t_output) = (ctx, y);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var saved = (FusedAutograd.Saved)ctx.get_data("saved");
        Tensor x = saved[0]!, rstd = saved[2]!;
        var weight = saved[1];
        using var dy = FusedAutograd.Contiguous(gradOutput);
        int n = (int)x.shape[^1];
        long rows = x.numel() / n;
        var dx = empty_like(x);
        nint xa = SmallBatchLinear.Address(x), dya = SmallBatchLinear.Address(dy), dxa = SmallBatchLinear.Address(dx);
        nint ra = SmallBatchLinear.Address(rstd), wa = weight is null ? 0 : SmallBatchLinear.Address(weight);
        var totals = weight is null ? null : FusedAutograd.Partials(n);
        FusedAutograd.Split(rows, (part, from, to) =>
        {
            float* xs = (float*)xa, dys = (float*)dya, dxs = (float*)dxa, r = (float*)ra, w = (float*)wa;
            // The weight's gradient sums over every row: in float over blocks of 64 rows, the blocks in double.
            float* block = stackalloc float[w is null ? 1 : n];
            for (long start = from; start < to; start += 64)
            {
                if (w is not null) new Span<float>(block, n).Clear();
                for (long i = start; i < Math.Min(to, start + 64); i++)
                    FusedAutograd.NormBackwardRow(xs + i * n, dys + i * n, dxs + i * n, r[i], w, block, n);
                if (w is not null) FusedAutograd.AddInto(totals![part], block, n);
            }
        });
        var dw = totals is null ? null : FusedAutograd.Total(totals, x.device);
        return FusedAutograd.Return(dx, dw, null);
    }
}

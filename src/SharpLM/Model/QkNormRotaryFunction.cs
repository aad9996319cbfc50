using System.Numerics;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// From the stacked q/k/v product (B, T, H+2K, D) to the heads attention reads, for training in one pass: queries and
/// keys normalised per head (QK-norm, when weights are given) and rotated (RoPE), written as contiguous q (B, H, T, D) and
/// k (B, K, T, D); values copied to v (B, K, T, D). The backward writes the product's gradient (B, T, H+2K, D) in one
/// pass too. libtorch's path (a transposed view, the norm's ~6 ops, the rotation's roll and products, then narrow's
/// backward filling a zero tensor per slice) keeps the normalised q/k as well; this keeps only each row's 1/rms. Same
/// result as <see cref="RmsNorm.Normalize"/> then <see cref="Rotary.Apply(Tensor, long)"/> up to the order of sums.
/// </summary>
public sealed unsafe class QkNormRotaryFunction : autograd.MultiTensorFunction<QkNormRotaryFunction>
{
    public override string Name => "SharpLmQkNormRotary";

    /// <summary>
    /// q, k, v of a fresh sequence (positions 0 … T−1) from qkv (B, T, H+2K, D), contiguous fp32; qNorm and kNorm (D) are
    /// the QK-norm weights, or both null for no norm.
    /// </summary>
    public static (Tensor Q, Tensor K, Tensor V) Apply(Tensor qkv, Tensor? qNorm, Tensor? kNorm, double eps, Rotary rope,
        int heads, int kvHeads)
    {
        FusedAutograd.ReleaseReturned();
        var outputs = apply(qkv, qNorm!, kNorm!, eps, rope, heads, kvHeads);
        FusedAutograd.DropOutputCache(t_context!);
        foreach (var t in t_outputs!) t.Dispose();   // forward's own handles; the caller gets autograd's
        (t_context, t_outputs) = (null, null);
        return (outputs[0], outputs[1], outputs[2]);
    }

    [ThreadStatic] static autograd.AutogradContext? t_context;
    [ThreadStatic] static List<Tensor>? t_outputs;

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var qkv = (Tensor)vars[0];
        Tensor? qNorm = vars[1] as Tensor, kNorm = vars[2] as Tensor;
        float eps = (float)(double)vars[3];
        var rope = (Rotary)vars[4];
        int H = (int)vars[5], K = (int)vars[6];
        long B = qkv.shape[0], T = qkv.shape[1];
        int P = (int)qkv.shape[2], D = (int)qkv.shape[3], half = D / 2;
        if (P != H + 2 * K || rope.CosTable.shape[1] != D || T > rope.CosTable.shape[0])
            throw new Core.SharpLmException($"q/k/v of shape [{string.Join(", ", qkv.shape)}] does not match {H} + 2·{K} heads");
        var q = empty([B, H, T, D], ScalarType.Float32, qkv.device);
        var k = empty([B, K, T, D], ScalarType.Float32, qkv.device);
        var v = empty([B, K, T, D], ScalarType.Float32, qkv.device);
        bool norm = qNorm is not null && kNorm is not null;
        var rstd = norm ? empty(B * T * (H + K), ScalarType.Float32, qkv.device) : null;
        nint xs = SmallBatchLinear.Address(qkv), qs = SmallBatchLinear.Address(q), ks = SmallBatchLinear.Address(k);
        nint vs = SmallBatchLinear.Address(v), cos = SmallBatchLinear.Address(rope.CosTable);
        nint sin = SmallBatchLinear.Address(rope.SinTable), wq = norm ? SmallBatchLinear.Address(qNorm!) : 0;
        nint wk = norm ? SmallBatchLinear.Address(kNorm!) : 0, rs = rstd is null ? 0 : SmallBatchLinear.Address(rstd);
        FusedAutograd.Split(B * T, (_, from, to) =>
        {
            float* x = (float*)xs, r = (float*)rs;
            float* u = stackalloc float[D];
            for (long bt = from; bt < to; bt++)
            {
                long b = bt / T, t = bt % T;
                float* c = (float*)cos + t * D, sn = (float*)sin + t * D + half;   // sin's second half is +sin
                for (int h = 0; h < H + K; h++)
                {
                    float* src = x + (bt * P + h) * D;
                    float* dst = h < H ? (float*)qs + ((b * H + h) * T + t) * D : (float*)ks + ((b * K + h - H) * T + t) * D;
                    if (norm)
                    {
                        float s = 1f / MathF.Sqrt(SmallBatchLinear.Dot(src, src, D, SmallBatchLinear.BestVectorBits) / D + eps);
                        r[bt * (H + K) + h] = s;
                        FusedAutograd.Scale(src, u, s, (float*)(h < H ? wq : wk), D);
                        Rotate(u, dst, c, sn, half, 1f);
                    }
                    else Rotate(src, dst, c, sn, half, 1f);
                }
                for (int g = 0; g < K; g++)
                    new Span<float>(x + (bt * P + H + K + g) * D, D).CopyTo(new Span<float>((float*)vs + ((b * K + g) * T + t) * D, D));
            }
        });
        ctx.save_data("saved", new FusedAutograd.Saved(qkv.alias(), qNorm?.alias(), kNorm?.alias(), rstd));
        ctx.save_data("shape", (H, K, rope));
        t_context = ctx;
        t_outputs = [q, k, v];
        return [q, k, v];
    }

    /// <summary>
    /// Rotates pairs (i, i + half) of one head row by the angle whose cos and sin are c[i], sn[i]: direction 1 forward,
    /// −1 the inverse rotation (the backward's transpose).
    /// </summary>
    static void Rotate(float* x, float* y, float* c, float* sn, int half, float direction)
    {
        int i = 0, w = Vector<float>.Count;
        var dir = new Vector<float>(direction);
        for (; i + w <= half; i += w)
        {
            var lo = Unsafe.ReadUnaligned<Vector<float>>(x + i);
            var hi = Unsafe.ReadUnaligned<Vector<float>>(x + half + i);
            var cv = Unsafe.ReadUnaligned<Vector<float>>(c + i);
            var sv = Unsafe.ReadUnaligned<Vector<float>>(sn + i) * dir;
            Unsafe.WriteUnaligned(y + i, lo * cv - hi * sv);
            Unsafe.WriteUnaligned(y + half + i, hi * cv + lo * sv);
        }
        for (; i < half; i++)
        {
            float lo = x[i], hi = x[half + i], s = sn[i] * direction;
            y[i] = lo * c[i] - hi * s;
            y[half + i] = hi * c[i] + lo * s;
        }
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var saved = (FusedAutograd.Saved)ctx.get_data("saved");
        var (H, K, rope) = ((int, int, Rotary))ctx.get_data("shape");
        var qkv = saved[0]!;
        Tensor? qNorm = saved[1], kNorm = saved[2], rstd = saved[3];
        long B = qkv.shape[0], T = qkv.shape[1];
        int P = (int)qkv.shape[2], D = (int)qkv.shape[3], half = D / 2;
        Tensor Gradient(int i, long heads) => gradOutputs[i] is { IsInvalid: false } g
            ? FusedAutograd.Contiguous(g) : zeros([B, heads, T, D], ScalarType.Float32, qkv.device);
        using Tensor dq = Gradient(0, H), dk = Gradient(1, K), dv = Gradient(2, K);
        var dqkv = empty_like(qkv);
        bool norm = rstd is not null;
        nint xs = SmallBatchLinear.Address(qkv), dxs = SmallBatchLinear.Address(dqkv), dqs = SmallBatchLinear.Address(dq);
        nint dks = SmallBatchLinear.Address(dk), dvs = SmallBatchLinear.Address(dv);
        nint cos = SmallBatchLinear.Address(rope.CosTable), sin = SmallBatchLinear.Address(rope.SinTable);
        nint wq = norm ? SmallBatchLinear.Address(qNorm!) : 0, wk = norm ? SmallBatchLinear.Address(kNorm!) : 0;
        nint rs = norm ? SmallBatchLinear.Address(rstd!) : 0;
        double[][] totalQ = FusedAutograd.Partials(D), totalK = FusedAutograd.Partials(D);
        FusedAutograd.Split(B * T, (part, from, to) =>
        {
            float* x = (float*)xs, dx = (float*)dxs, r = (float*)rs;
            float* du = stackalloc float[D];
            float* accQ = stackalloc float[D];
            float* accK = stackalloc float[D];
            new Span<float>(accQ, D).Clear();
            new Span<float>(accK, D).Clear();
            for (long bt = from; bt < to; bt++)
            {
                long b = bt / T, t = bt % T;
                float* c = (float*)cos + t * D, sn = (float*)sin + t * D + half;
                for (int h = 0; h < H + K; h++)
                {
                    float* dout = h < H ? (float*)dqs + ((b * H + h) * T + t) * D : (float*)dks + ((b * K + h - H) * T + t) * D;
                    float* dst = dx + (bt * P + h) * D;
                    if (norm)
                    {
                        Rotate(dout, du, c, sn, half, -1f);
                        FusedAutograd.NormBackwardRow(x + (bt * P + h) * D, du, dst, r[bt * (H + K) + h],
                            (float*)(h < H ? wq : wk), h < H ? accQ : accK, D);
                    }
                    else Rotate(dout, dst, c, sn, half, -1f);
                }
                for (int g = 0; g < K; g++)
                    new Span<float>((float*)dvs + ((b * K + g) * T + t) * D, D).CopyTo(new Span<float>(dx + (bt * P + H + K + g) * D, D));
                if (norm && ((bt - from) % 16 == 15 || bt == to - 1))
                {
                    // Weight gradients sum over every row and head: in float over 16 positions, those blocks in double.
                    FusedAutograd.AddInto(totalQ[part], accQ, D);
                    FusedAutograd.AddInto(totalK[part], accK, D);
                    new Span<float>(accQ, D).Clear();
                    new Span<float>(accK, D).Clear();
                }
            }
        });
        var (dwq, dwk) = norm ? (FusedAutograd.Total(totalQ, qkv.device), FusedAutograd.Total(totalK, qkv.device))
            : ((Tensor?)null, (Tensor?)null);
        return FusedAutograd.Return(dqkv, dwq, dwk, null, null, null, null);
    }
}

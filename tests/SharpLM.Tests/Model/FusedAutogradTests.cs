using SharpLM.Core;
using SharpLM.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Tests.Model;

/// <summary>
/// The fused training functions (one C# pass forward and one backward each) against the same maths written with libtorch
/// ops: outputs and the gradient of every input, with rows split over two threads and sizes that leave vector tails.
/// </summary>
public class FusedAutogradTests
{
    const double Eps = 1e-6;

    static Tensor PlainNorm(Tensor x, Tensor? w)
    {
        var unit = x * rsqrt(x.square().mean([-1], keepdim: true) + Eps);
        return w is null ? unit : unit * w;
    }

    static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double scale = Math.Max(1e-3, expected.abs().max().item<float>());
        double error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= tolerance * scale, $"{what}: differs by {error:G3} (largest {scale:G3})");
    }

    static Tensor Leaf(long[] shape) => randn(shape).requires_grad_(true);

    [Theory]
    [InlineData(37, true)]
    [InlineData(64, true)]
    [InlineData(37, false)]
    public void RmsNorm_matches_libtorch_ops(int width, bool weighted)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 3));
        using var scope = NewDisposeScope();
        var x = Leaf([4, 40, width]);
        var w = weighted ? (1 + 0.3 * randn(width)).requires_grad_(true) : null;
        var upstream = randn(4, 40, width);

        var fused = RmsNormFunction.Apply(x, w, Eps);
        Assert.True(FusedAutograd.LastDropFound, "TorchSharp's output copy was not found (its private layout changed)");
        (fused * upstream).sum().backward();
        var (dx, dw) = (x.grad!.clone(), w?.grad!.clone());
        x.grad!.zero_();
        w?.grad!.zero_();

        var plain = PlainNorm(x, w);
        (plain * upstream).sum().backward();
        AssertClose(plain, fused, 1e-5, "output");
        AssertClose(x.grad!, dx, 1e-4, "x gradient");
        if (w is not null) AssertClose(w.grad!, dw!, 1e-4, "weight gradient");
    }

    [Theory]
    [InlineData(4, 2, 6, true)]
    [InlineData(4, 4, 32, true)]
    [InlineData(4, 1, 32, false)]
    public void QkNorm_and_rotation_match_libtorch_ops(int heads, int kvHeads, int headSize, bool qkNorm)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 5));
        using var scope = NewDisposeScope();
        long B = 2, T = 40;
        var rope = new Rotary(64, headSize, 10000, CPU);
        var qkv = Leaf([B, T, heads + 2 * kvHeads, headSize]);
        var wq = qkNorm ? (1 + 0.3 * randn(headSize)).requires_grad_(true) : null;
        var wk = qkNorm ? (1 + 0.3 * randn(headSize)).requires_grad_(true) : null;
        var (gq, gk, gv) = (randn(B, heads, T, headSize), randn(B, kvHeads, T, headSize), randn(B, kvHeads, T, headSize));

        var (q, k, v) = QkNormRotaryFunction.Apply(qkv, wq, wk, Eps, rope, heads, kvHeads);
        Assert.True(q.is_contiguous() && k.is_contiguous() && v.is_contiguous());
        ((q * gq).sum() + (k * gk).sum() + (v * gv).sum()).backward();
        var grads = new[] { qkv, wq, wk }.Select(t => t?.grad!.clone()).ToArray();
        foreach (var t in new[] { qkv, wq, wk }) t?.grad!.zero_();

        Tensor Heads(long from, long count) => qkv.narrow(2, from, count).transpose(1, 2);   // (B, n, T, D)
        Tensor Prepare(Tensor t, Tensor? w) => rope.Apply(qkNorm ? PlainNorm(t, w) : t, 0);
        var (pq, pk, pv) = (Prepare(Heads(0, heads), wq), Prepare(Heads(heads, kvHeads), wk), Heads(heads + kvHeads, kvHeads));
        ((pq * gq).sum() + (pk * gk).sum() + (pv * gv).sum()).backward();
        AssertClose(pq, q, 1e-5, "q");
        AssertClose(pk, k, 1e-5, "k");
        AssertClose(pv, v, 0, "v");
        AssertClose(qkv.grad!, grads[0]!, 1e-4, "q/k/v gradient");
        if (qkNorm)
        {
            AssertClose(wq!.grad!, grads[1]!, 1e-4, "q norm weight gradient");
            AssertClose(wk!.grad!, grads[2]!, 1e-4, "k norm weight gradient");
        }
    }

    [Fact]
    public void ReluSquared_matches_libtorch_ops()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 9));
        using var scope = NewDisposeScope();
        var u = Leaf([3, 50, 33]);
        var upstream = randn(3, 50, 33);
        var fused = ReluSquaredFunction.Apply(u);
        (fused * upstream).sum().backward();
        var du = u.grad!.clone();
        u.grad!.zero_();
        var plain = F.relu(u).square();
        (plain * upstream).sum().backward();
        AssertClose(plain, fused, 1e-6, "output");
        AssertClose(u.grad!, du, 1e-6, "gradient");
    }

    [Fact]
    public void The_fused_path_is_taken_only_while_training_on_contiguous_fp32()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 8).requires_grad_(true);
        Assert.True(FusedAutograd.Applies(x));
        Assert.False(FusedAutograd.Applies(x.t()));                                   // not contiguous
        Assert.False(FusedAutograd.Applies(x.to_type(ScalarType.BFloat16)));
        Assert.False(FusedAutograd.Applies(randn(4, 8)));                             // nothing to differentiate
        using (no_grad()) Assert.False(FusedAutograd.Applies(x));
    }
}

using SharpLM.Model;
using static TorchSharp.torch;

namespace SharpLM.Tests.Model;

public class SmallBatchLinearTests
{
    /// <summary>
    /// Without autograd a forward pass of up to 16 rows computes its products in SharpLM's own loop instead of libtorch's
    /// (issue 15): its logits must match the pass with autograd (libtorch's products) to fp32 rounding, for widths that fill
    /// whole vectors and widths that leave a tail, for one row and for several.
    /// </summary>
    [Theory]
    [InlineData(64, 1, 1)]
    [InlineData(40, 1, 3)]
    [InlineData(72, 2, 8)]
    public void Logits_without_autograd_match_libtorchs_products(int width, int batch, int tokens)
    {
        manual_seed(5);
        using var model = new Gpt(new GptConfig(VocabSize: 300, ContextLength: 32, Depth: 2, Width: width, Heads: 4, KvHeads: 2,
                                                 Mlp: MlpKind.SwiGlu, QkNorm: true));
        using var scope = NewDisposeScope();
        var idx = randint(0, 300, [batch, tokens], dtype: ScalarType.Int64);
        var reference = model.forward(idx).detach();                                  // autograd on: libtorch's linear
        Tensor ours;
        using (var noGrad = no_grad()) ours = model.forward(idx);                      // autograd off: the own loop
        Assert.Equal(reference.shape, ours.shape);
        double scale = reference.abs().max().item<float>();
        double diff = (reference - ours).abs().max().item<float>();
        Assert.True(diff <= 1e-5 * Math.Max(1, scale), $"max |Δ| {diff} at scale {scale}");
    }
}

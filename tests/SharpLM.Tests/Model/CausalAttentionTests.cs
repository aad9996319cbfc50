using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Tests.Model;

/// <summary>
/// The C# causal attention kernel (<see cref="CausalAttentionFunction"/>) against libtorch's
/// <c>scaled_dot_product_attention</c>: output and the gradients of q, k and v, with contexts that are not a whole number
/// of tiles, one and several heads, head sizes 32 and 64, both tile widths (AVX-512 and AVX2); then whole training steps
/// of a grouped-query model through each path, and the cases it must leave to SDPA.
/// </summary>
public class CausalAttentionTests
{
    static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double scale = Math.Max(1e-3, expected.abs().max().item<float>());
        double error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= tolerance * scale, $"{what}: differs by {error:G3} (largest {scale:G3})");
    }

    [Theory]
    [InlineData(2, 3, 37, 32, true)]
    [InlineData(2, 3, 37, 32, false)]
    [InlineData(1, 1, 64, 64, true)]
    [InlineData(3, 2, 100, 64, true)]
    [InlineData(3, 2, 100, 64, false)]
    [InlineData(2, 4, 2, 32, true)]
    public void Output_and_gradients_match_sdpa(int batch, int heads, int context, int headSize, bool avx512)
    {
        if (!CausalAttentionFunction.KernelSupported) return;   // a CPU without AVX2: SDPA serves every case (routing test below)
        TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 11));
        using var scope = NewDisposeScope();
        CausalAttentionFunction.Avx512Tiles = avx512;
        try
        {
            // Scores spread wide enough (×3) that the softmax is far from uniform.
            var q = (3 * randn(batch, heads, context, headSize)).requires_grad_(true);
            var k = randn(batch, heads, context, headSize).requires_grad_(true);
            var v = randn(batch, heads, context, headSize).requires_grad_(true);
            var upstream = randn(batch, context, heads * headSize);
            Assert.True(CausalAttentionFunction.Applies(q, k, v));

            var y = CausalAttentionFunction.Apply(q, k, v);
            Assert.Equal([batch, context, heads * headSize], y.shape);
            (y * upstream).sum().backward();
            var grads = new[] { q, k, v }.Select(t => t.grad!.clone()).ToArray();
            foreach (var t in new[] { q, k, v }) t.grad!.zero_();

            var expected = F.scaled_dot_product_attention(q, k, v, is_casual: true)
                .transpose(1, 2).reshape(batch, context, heads * headSize);
            (expected * upstream).sum().backward();
            AssertClose(expected, y, 1e-5, "output");
            AssertClose(q.grad!, grads[0], 1e-4, "q gradient");
            AssertClose(k.grad!, grads[1], 1e-4, "k gradient");
            AssertClose(v.grad!, grads[2], 1e-4, "v gradient");
        }
        finally
        {
            CausalAttentionFunction.Avx512Tiles = true;
        }
    }

    [Fact]
    public void Training_steps_match_the_sdpa_path()
    {
        if (!CausalAttentionFunction.KernelSupported) return;
        // Grouped-query heads of 32 (k and v repeated to the 4 query heads before attention), context 40: 2 × 8 steps.
        var config = new GptConfig(VocabSize: 64, ContextLength: 40, Depth: 2, Width: 128, Heads: 4, KvHeads: 2);
        manual_seed(5);
        var batches = Enumerable.Range(0, 8).Select(_ =>
        {
            // A learnable task: runs of consecutive ids from random starts, each target the next id.
            var idx = (randint(0, 64, [3, 1]) + arange(40)).remainder(64).DetachFromDisposeScope();
            return (Idx: idx, Targets: ((idx + 1).remainder(64)).DetachFromDisposeScope());
        }).ToList();
        List<float> Train(bool sdpa)
        {
            TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 21));
            using var model = new Gpt(config);
            foreach (var block in model.Blocks) block.Attention.SdpaInTraining = sdpa;
            using var adamw = OptimizerFactory.AdamW(model, new AdamWSettings(Lr: 1e-2));
            var runner = new StepRunner(model, adamw, new LrSchedule(1e-2, 1e-3, 2, batches.Count));
            return batches.Select((b, step) => (float)runner.Step(step, 1, _ => model.Loss(b.Idx, b.Targets)).Loss).ToList();
        }
        var kernel = Train(sdpa: false);
        var sdpa = Train(sdpa: true);
        for (int i = 0; i < kernel.Count; i++)
            Assert.True(Math.Abs(kernel[i] - sdpa[i]) <= 1e-4 * sdpa[i], $"step {i + 1}: loss {kernel[i]} vs SDPA {sdpa[i]}");
        // The kernel did run: fp32 sums in another order leave some loss different in its last bits.
        Assert.False(kernel.SequenceEqual(sdpa), "every loss bit-identical to SDPA's: was the kernel path taken?");
        Assert.True(kernel[^1] < kernel[0], $"loss did not fall: {kernel[0]} → {kernel[^1]}");
    }

    [Fact]
    public void Other_cases_are_left_to_sdpa()
    {
        using var scope = NewDisposeScope();
        Tensor Leaf(long t, long d, ScalarType type = ScalarType.Float32) =>
            randn(2, 2, t, d).to_type(type).requires_grad_(true);
        var (q, k, v) = (Leaf(16, 64), Leaf(16, 64), Leaf(16, 64));
        Assert.Equal(CausalAttentionFunction.KernelSupported, CausalAttentionFunction.Applies(q, k, v));
        Assert.False(CausalAttentionFunction.Applies(Leaf(16, 64, ScalarType.BFloat16), k, v));          // bf16
        Assert.False(CausalAttentionFunction.Applies(Leaf(1, 64), Leaf(1, 64), Leaf(1, 64)));             // one token
        Assert.False(CausalAttentionFunction.Applies(Leaf(16, 8), Leaf(16, 8), Leaf(16, 8)));             // head size 8
        Assert.False(CausalAttentionFunction.Applies(q, Leaf(12, 64), Leaf(12, 64)));                     // keys ≠ queries
        var strided = randn(2, 16, 2, 64).transpose(1, 2);                                                // (2, 2, 16, 64)
        Assert.False(CausalAttentionFunction.Applies(q, strided, v));                                     // not contiguous
        using (no_grad()) Assert.False(CausalAttentionFunction.Applies(q, k, v));                         // generation
    }
}

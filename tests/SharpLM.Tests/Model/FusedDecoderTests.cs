using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Tests.Model;

public class FusedDecoderTests
{
    /// <summary>
    /// The fused decode step (issue 15) against libtorch's full forward pass, for every architecture option the config
    /// allows — ReLU² or SwiGLU, tied or untied head, QK-norm or not, grouped-query heads, a head size other than
    /// width/heads, head sizes that leave vector tails — with each vector width (AVX-512, AVX2, scalar) and 1–3 threads:
    /// rows of different lengths join one cache (prefilled by libtorch) and decode together; each row's logits at every
    /// new position match the full forward pass over that row's own tokens.
    /// </summary>
    [Theory]
    [InlineData(MlpKind.ReluSquared, false, true, 64, 4, 2, 0, 512, 1)]
    [InlineData(MlpKind.SwiGlu, true, true, 64, 4, 4, 0, 256, 2)]
    [InlineData(MlpKind.ReluSquared, true, false, 40, 4, 1, 0, 0, 1)]
    [InlineData(MlpKind.SwiGlu, false, true, 64, 4, 2, 24, 512, 3)]
    [InlineData(MlpKind.SwiGlu, false, false, 48, 2, 2, 0, 256, 1)]
    public void Each_rows_logits_match_the_full_forward_pass_at_every_position(
        MlpKind mlp, bool tied, bool qkNorm, int width, int heads, int kvHeads, int headDim, int bits, int threads)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 7));
        var config = new GptConfig(VocabSize: 97, ContextLength: 40, Depth: 2, Width: width, Heads: heads, KvHeads: kvHeads,
                                   Mlp: mlp, TieEmbeddings: tied, QkNorm: qkNorm, HeadDim: headDim);
        using var model = new Gpt(config);
        RandomizeNorms(model);
        using var fused = model.FuseForInference();
        using var decoder = new FusedDecoder(model, bits, threads);
        var rng = new Random(11);
        int[][] prompts = [Ids(rng, 5), Ids(rng, 1), Ids(rng, 9)];
        using var cache = KvCache.ForRows(config, rows: prompts.Length, CPU);
        var sequences = prompts.Select(p => p.ToList()).ToList();
        using (var mode = inference_mode())
            foreach (var prompt in prompts)
            {
                using var row = cache.NextRow();
                using (var scope = NewDisposeScope()) model.Hidden(tensor(prompt.Select(i => (long)i).ToArray(), [1, prompt.Length]), row);
                cache.AddRow(row);
            }
        var logits = new float[prompts.Length * config.VocabSize];
        for (int step = 0; step < 25; step++)
        {
            var tokens = Ids(rng, prompts.Length);
            for (int b = 0; b < tokens.Length; b++) sequences[b].Add(tokens[b]);
            decoder.Step(tokens, cache, [], logits);
            for (int b = 0; b < tokens.Length; b++)
                AssertClose(FullLogits(model, sequences[b]), logits.AsSpan(b * config.VocabSize, config.VocabSize),
                            $"row {b} at position {sequences[b].Count - 1}");
        }
        Assert.Equal(sequences.Select(s => (long)s.Count), cache.RowLengths!);
    }

    /// <summary>
    /// Generation routes through the fused step (fp32 on the CPU) and still chooses what the full forward pass chooses:
    /// greedy continuations of left-padded prompts in one batch equal token-by-token argmax of libtorch's pass.
    /// </summary>
    [Fact]
    public void Greedy_generation_through_the_fused_step_equals_argmax_of_the_full_forward_pass()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 3));
        var tokenizer = CharTokenizer.Train(["abcdefghijklmnopqrstuvwxyz .,"]);
        var config = new GptConfig(tokenizer.VocabSize, 48, Depth: 2, Width: 64, Heads: 4, KvHeads: 2, Mlp: MlpKind.SwiGlu);
        using var model = new Gpt(config);
        using (no_grad()) model.HeadWeight.mul_(20); // sharp distributions: no near-ties between the two paths
        var generator = new SharpLM.Inference.Generator(model, tokenizer);
        int[][] prompts = [[.. tokenizer.Encode("hello there")], [.. tokenizer.Encode("a")]];
        var generated = generator.Generate(prompts, new GenerationOptions(20, SamplingOptions.Greedy, []));
        Assert.Equal("fused step", generator.DecodePath);
        for (int r = 0; r < prompts.Length; r++)
        {
            var sequence = prompts[r].ToList();
            for (int t = 0; t < 20; t++) sequence.Add(Sampler.ArgMax(FullLogits(model, sequence)));
            Assert.Equal(sequence.Skip(prompts[r].Length), generated[r].Tokens);
        }
    }

    [Fact]
    public void Models_it_does_not_support_are_named_and_keep_libtorchs_path()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 3));
        using var model = new Gpt(new GptConfig(50, 16, Depth: 1, Width: 32, Heads: 2, KvHeads: 2));
        Assert.NotNull(FusedDecoder.Unsupported(model)); // not fused
        using (var bf16 = model.FuseForInference(ScalarType.BFloat16))
        {
            Assert.Null(model.Decoder);
            Assert.Contains("fp32", FusedDecoder.Unsupported(model));
            Assert.Throws<SharpLmException>(() => new FusedDecoder(model));
        }
        using (var fp32 = model.FuseForInference()) Assert.NotNull(model.Decoder);
        Assert.Null(model.Decoder);
    }

    static int[] Ids(Random rng, int n) => Enumerable.Range(0, n).Select(_ => rng.Next(97)).ToArray();

    /// <summary>Norm weights away from 1, so that folding them into the matrices is exercised.</summary>
    static void RandomizeNorms(Gpt model)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.uniform_(0.5, 1.5);
    }

    static float[] FullLogits(Gpt model, IReadOnlyList<int> ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.forward(tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count]));   // (1, T, V)
        return logits[0, ids.Count - 1].data<float>().ToArray();
    }

    static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string where)
    {
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int v = 0; v < expected.Length; v++)
            Assert.True(Math.Abs(expected[v] - actual[v]) <= 1e-4 * scale,
                        $"{where}, id {v}: {actual[v]} vs libtorch {expected[v]}");
    }
}

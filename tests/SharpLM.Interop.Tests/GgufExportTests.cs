using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using Xunit.Abstractions;

namespace SharpLM.Interop.Tests;

/// <summary>export gguf → llama.cpp (LLamaSharp) reads the file and computes what our model computes.</summary>
public sealed class GgufExportTests(ITestOutputHelper output)
{
    (string Gguf, float MaxLogit) Export(TempDir tmp, Gpt model, GgufType type)
    {
        var dir = Fixture.Save(tmp["model"], model);
        var gguf = tmp[$"model-{type}.gguf"];
        GgufExporter.Export(new GgufExportOptions(dir, gguf, type));
        return (gguf, 0);
    }

    /// <summary>Largest |ours − llama.cpp| over every position and id, and the largest |logit| for scale.</summary>
    static (double MaxDiff, double Scale) Compare(float[,] ours, float[][] theirs)
    {
        double diff = 0, scale = 0;
        for (int t = 0; t < theirs.Length; t++)
        {
            Assert.Equal(ours.GetLength(1), theirs[t].Length);
            for (int v = 0; v < theirs[t].Length; v++)
            {
                diff = Math.Max(diff, Math.Abs(ours[t, v] - theirs[t][v]));
                scale = Math.Max(scale, Math.Abs(ours[t, v]));
            }
        }
        return (diff, scale);
    }

    [Theory]
    [InlineData(MlpKind.SwiGlu, true, false, 0, "qwen3")]
    [InlineData(MlpKind.SwiGlu, false, false, 0, "llama")]
    [InlineData(MlpKind.ReluSquared, false, true, 0, "arcee")]
    [InlineData(MlpKind.SwiGlu, true, false, 48, "qwen3")] // head size ≠ width / heads, as in Qwen3-0.6B
    [InlineData(MlpKind.SwiGlu, false, true, 48, "llama")]
    public void F32LogitsMatchLlamaCppAtEveryPosition(MlpKind mlp, bool qkNorm, bool tie, int headDim, string architecture)
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(mlp, qkNorm, tie, headDim));
        var (gguf, _) = Export(tmp, model, GgufType.F32);
        using var llama = new LlamaCpp(gguf);
        Assert.Equal(architecture, llama.Architecture);
        var ids = Fixture.Tokens(64);
        var (diff, scale) = Compare(Fixture.Logits(model, ids), llama.Logits(ids));
        output.WriteLine($"{architecture} f32: max |Δlogit| {diff:G3} over 64 positions, largest |logit| {scale:F2}");
        Assert.True(scale > 2, $"logits too flat to test ({scale})");
        Assert.True(diff < 2e-3 * scale, $"max |Δlogit| {diff} (scale {scale})");
    }

    [Theory]
    [InlineData(GgufType.F16, 0.02)]
    [InlineData(GgufType.Q8_0, 0.05)]
    public void QuantizedLogitsStayClose(GgufType type, double relativeTolerance)
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var (gguf, _) = Export(tmp, model, type);
        using var llama = new LlamaCpp(gguf);
        var ids = Fixture.Tokens(64);
        var (diff, scale) = Compare(Fixture.Logits(model, ids), llama.Logits(ids));
        output.WriteLine($"qwen3 {type}: max |Δlogit| {diff:G3}, largest |logit| {scale:F2}");
        Assert.True(diff < relativeTolerance * scale, $"max |Δlogit| {diff} (scale {scale})");
        Assert.True(diff > 0, "a quantized export cannot be exact");
    }

    [Fact]
    public void TokenizerGivesOurIds()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var (gguf, _) = Export(tmp, model, GgufType.F32);
        using var llama = new LlamaCpp(gguf);
        foreach (var text in new[] { Fixture.MixedText, "Hello, world! 你好，世界！🎉🎉 x", "a\n\n\nb  c   d\t\te 1234567 it's" })
        {
            var ours = Fixture.Tokenizer.Encode(text);
            Assert.True(ours.Length < text.Length, "the tokenizer should merge something");
            Assert.Equal(ours, llama.Tokenize(text));
        }
    }

    [Fact]
    public void GreedyContinuationsAreEqual()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var (gguf, _) = Export(tmp, model, GgufType.F32);
        using var llama = new LlamaCpp(gguf);
        var prompt = Fixture.Tokenizer.Encode("湖南的省会城市是");
        var ours = new Generator(model, Fixture.Tokenizer).Generate([prompt],
            new GenerationOptions(64, SamplingOptions.Greedy, []))[0].Tokens;
        var theirs = llama.Greedy(prompt, 64);
        Assert.Equal(64, ours.Length);
        Assert.Equal(ours, theirs);
    }

    [Fact]
    public void ReluSquaredWithQkNormIsRefusedBeforeWriting()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.ReluSquared, qkNorm: true));
        var dir = Fixture.Save(tmp["model"], model);
        var e = Assert.Throws<SharpLmException>(() => GgufExporter.Export(new GgufExportOptions(dir, tmp["x.gguf"])));
        Assert.Contains("config.json: mlp: relu_squared with qk_norm cannot be exported", e.Message);
        Assert.False(File.Exists(tmp["x.gguf"]));
    }
}

using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Pipeline;
using SharpLM.Tests.Cli;

namespace SharpLM.Interop.Tests;

/// <summary>The verbs end to end, and the promise that every model the speedrun trains exports.</summary>
public sealed class InteropCliTests
{
    [Fact]
    public void ExportImportAndTheImportedRunServesTheOtherVerbs()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var dir = Fixture.Save(tmp["model"], model);

        var gguf = CliRun.Run("export", "gguf", "--model", dir, "--out", tmp["m.gguf"], "--type", "q8_0");
        Assert.True(gguf.Code == 0, gguf.Err);
        Assert.Contains("qwen3", gguf.Out);
        using (var llama = new LlamaCpp(tmp["m.gguf"])) Assert.Equal("qwen3", llama.Architecture);

        Assert.Equal(0, CliRun.Run("export", "hf", "--model", dir, "--out", tmp["hf"]).Code);
        var import = CliRun.Run("import", "hf", tmp["hf"], "--out", tmp["run"]);
        Assert.True(import.Code == 0, import.Err);
        Assert.Contains("chat works now", import.Out);
        var generate = CliRun.Run("generate", "--model", tmp["run"], "--max-tokens", "5", "--temperature", "0", "湖南");
        Assert.True(generate.Code == 0, generate.Err);
        Assert.Equal(0, CliRun.Run("inspect", "tokens", "--model", tmp["run"], Fixture.MixedText).Code);
    }

    [Fact]
    public void BadInputGetsOneLineAndExitCodeOne()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.ReluSquared, qkNorm: true));
        var dir = Fixture.Save(tmp["model"], model);
        var refused = CliRun.Run("export", "gguf", "--model", dir, "--out", tmp["m.gguf"]);
        Assert.Equal(1, refused.Code);
        Assert.StartsWith("error: ", refused.Err);
        Assert.Contains("mlp: relu_squared with qk_norm cannot be exported", refused.Err);
        Assert.Single(refused.Err.Trim().Split('\n'));
        var missing = CliRun.Run("import", "hf", tmp["nowhere"], "--out", tmp["run"]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("folder not found", missing.Err);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(2)]
    public void TheSpeedrunsModelExportsAndLlamaCppRunsIt(double minutes)
    {
        using var tmp = new TempDir();
        var sizes = SpeedrunSizes.For(minutes);
        using var model = Fixture.Model(sizes.Shape.For(Fixture.Tokenizer.VocabSize));
        var dir = Fixture.Save(tmp["model"], model);
        GgufExporter.Export(new GgufExportOptions(dir, tmp["m.gguf"]));
        HfExporter.Export(new HfExportOptions(dir, tmp["hf"]));
        using var llama = new LlamaCpp(tmp["m.gguf"]);
        Assert.Equal("qwen3", llama.Architecture);
        var ids = Fixture.Tokens(16);
        var ours = Fixture.Logits(model, ids);
        var theirs = llama.Logits(ids);
        for (int t = 0; t < ids.Length; t++) Assert.Equal(Sampler.ArgMax(theirs[t]), ArgMax(ours, t));
        Assert.Equal(ExportArchitecture.Qwen3, ExportArchitecture.For(SpeedrunSizes.Tiny.Shape.For(300), "tiny"));
    }

    static int ArgMax(float[,] logits, int t)
    {
        int best = 0;
        for (int v = 1; v < logits.GetLength(1); v++) if (logits[t, v] > logits[t, best]) best = v;
        return best;
    }
}

using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

public sealed class RunFolderTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void A_run_folder_resolves_to_its_model_and_a_checkpoint_to_itself()
    {
        var tokenizer = CharTokenizer.Train(["hello"]);
        using var model = new Gpt(new GptConfig(tokenizer.VocabSize, 8, 1, 16, 2, 2));
        var run = new RunFolder(_tmp["run"]);
        Checkpoint.Save(run.ModelDir, model, tokenizer, "test");
        Assert.Equal(run.ModelDir, RunFolder.ResolveModel(run.Root));
        Assert.Equal(run.ModelDir, RunFolder.ResolveModel(run.ModelDir));
        using var loaded = RunFolder.LoadModel(run.Root);
        Assert.Equal(model.Config, loaded.Config);
    }

    [Fact]
    public void Any_other_folder_is_a_clear_error()
    {
        Directory.CreateDirectory(_tmp["empty"]);
        var e = Assert.Throws<SharpLmException>(() => RunFolder.ResolveModel(_tmp["empty"]));
        Assert.Contains("not a checkpoint folder", e.Message);
        Assert.Throws<SharpLmException>(() => RunFolder.ResolveModel(_tmp["missing"]));
    }
}

using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Tests.Model;

public class CheckpointTests : IDisposable
{
    readonly TempDir _tmp = new();
    readonly string _dir;

    public CheckpointTests() => _dir = _tmp["run"];

    public void Dispose() => _tmp.Dispose();

    static (Gpt, Tokenizer) TinyModel()
    {
        var tokenizer = CharTokenizer.Train(["hello world"]);
        var model = new Gpt(new GptConfig(tokenizer.VocabSize, 16, 1, 16, 2, 2));
        return (model, tokenizer);
    }

    [Fact]
    public void Saved_weights_load_back_identically()
    {
        var (model, tokenizer) = TinyModel();
        Checkpoint.Save(_dir, model, tokenizer, stage: "test");
        using var loaded = Checkpoint.Load(_dir);
        foreach (var (name, p) in model.state_dict())
            Assert.True(p.eq(loaded.Model.state_dict()[name]).all().item<bool>(), name);
        Assert.Equal(tokenizer.Encode("hello"), loaded.Tokenizer.Encode("hello"));
    }

    [Fact]
    public void A_flipped_byte_is_reported_with_the_file_name()
    {
        var (model, tokenizer) = TinyModel();
        Checkpoint.Save(_dir, model, tokenizer, stage: "test");
        var weights = Path.Combine(_dir, Checkpoint.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^10] ^= 0x01;
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<SharpLmException>(() => Checkpoint.Load(_dir));
        Assert.Contains(Checkpoint.WeightsFile, e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_checkpoint_intact()
    {
        var (model, tokenizer) = TinyModel();
        Checkpoint.Save(_dir, model, tokenizer, stage: "first");
        Assert.Throws<IOException>(() =>
            Checkpoint.Save(_dir, model, tokenizer, stage: "second", extra: _ => throw new IOException("disk full")));
        Assert.Equal("first", Checkpoint.Verify(_dir)["stage"]!.GetValue<string>());
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(_dir)!, Path.GetFileName(_dir) + ".tmp*"));
    }

    [Fact]
    public void A_save_killed_between_its_two_renames_is_recovered_on_load()
    {
        var (model, tokenizer) = TinyModel();
        Checkpoint.Save(_dir, model, tokenizer, stage: "first");
        // What a kill leaves after WriteDirectory parked the old folder and before the new one was moved in.
        Directory.Move(_dir, Path.Combine(Path.GetDirectoryName(_dir)!, "." + Path.GetFileName(_dir) + ".old"));
        using var loaded = Checkpoint.Load(_dir);
        Assert.Equal("first", Checkpoint.Verify(_dir)["stage"]!.GetValue<string>());
    }
}

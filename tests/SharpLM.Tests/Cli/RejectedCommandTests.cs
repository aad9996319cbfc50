using SharpLM.Tests.Training;
using SharpLM.Training;

namespace SharpLM.Tests.Cli;

/// <summary>Bad options and bad data: one line naming the option or file, exit 1, and no --out folder left behind.</summary>
public sealed class RejectedCommandTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("--lr", "NaN", "--lr must be a positive number (got NaN)")]
    [InlineData("--lr", "Infinity", "--lr must be a positive number (got Infinity)")]
    [InlineData("--depth", "0", "--depth must be at least 1 (got 0)")]
    [InlineData("--beta2", "1.5", "--beta2 must be in [0, 1) (got 1.5)")]
    [InlineData("--grad-clip", "-1", "--grad-clip must be 0 or a positive number (got -1)")]
    [InlineData("--precision", "fp16", "fp16")]
    public void A_bad_pretrain_option_is_one_line_and_leaves_no_folder(string option, string value, string message)
    {
        var args = TinyRun.CliArgs(TinyRun.Corpus(_tmp), _tmp["out"], steps: 5).ToList();
        int at = args.IndexOf(option);
        if (at >= 0) args[at + 1] = value;
        else args.AddRange([option, value]);
        var (code, _, err) = CliRun.Run([.. args]);
        Assert.Equal(1, code);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(_tmp["out"]), "a rejected command left its --out folder behind");
    }

    [Fact]
    public void Bad_data_found_while_reading_leaves_no_folder()
    {
        var bad = _tmp.File("bad.jsonl", "{\"text\": \"fine\"}\n{not json\n");
        var (code, _, err) = CliRun.Run(TinyRun.CliArgs(bad, _tmp["out"], steps: 5));
        Assert.Equal(1, code);
        Assert.Contains("bad.jsonl:2", err);
        Assert.False(Directory.Exists(_tmp["out"]), "a rejected command left its --out folder behind");
    }

    [Fact]
    public void Resume_without_a_checkpoint_starts_from_step_zero_and_says_so()
    {
        var corpus = TinyRun.Corpus(_tmp);
        Directory.CreateDirectory(_tmp["out"]); // as a requeued job finds it after a kill before the first checkpoint
        var (code, output, _) = CliRun.Run(TinyRun.CliArgs(corpus, _tmp["out"], steps: 5, resume: true));
        Assert.Equal(0, code);
        Assert.Contains("holds no checkpoint yet, so training starts from step 0", output);
        Assert.Equal(5, TrainerState.Load(_tmp["out/model"]).Step);
    }
}

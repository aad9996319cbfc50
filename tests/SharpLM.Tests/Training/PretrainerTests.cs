using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

public sealed class PretrainerTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    static PretrainResult Train(PretrainOptions o) => new Pretrainer().Run(o);

    [Fact]
    public void Loss_goes_down_on_a_tiny_corpus()
    {
        var result = Train(TinyRun.Options(TinyRun.Corpus(_tmp), _tmp["run"], steps: 60));
        var evals = new MetricsLog(new RunFolder(_tmp["run"]).MetricsPath).Read()
            .Where(r => r["kind"]!.GetValue<string>() == "eval").Select(r => r["val_loss"]!.GetValue<double>()).ToList();
        Assert.Equal(6, evals.Count);
        Assert.True(evals[^1] < evals[0] - 0.5, $"validation loss went {evals[0]:F3} → {evals[^1]:F3}");
        Assert.Equal(evals[^1], result.Val!.Loss);
        Assert.True(File.Exists(_tmp["run/loss.png"]));
        Checkpoint.Verify(_tmp["run/model"]);
        Checkpoint.Verify(_tmp["run/best"]);
        Assert.Equal(["step-000050", "step-000060"], Directory.GetDirectories(_tmp["run/checkpoints"]).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Same_seed_and_threads_give_bitwise_identical_weights()
    {
        var corpus = TinyRun.Corpus(_tmp);
        Train(TinyRun.Options(corpus, _tmp["a"], steps: 12));
        Train(TinyRun.Options(corpus, _tmp["b"], steps: 12));
        Train(TinyRun.Options(corpus, _tmp["c"], steps: 12, seed: 7));
        byte[] Weights(string run) => File.ReadAllBytes(Path.Combine(_tmp[run], "model", Checkpoint.WeightsFile));
        Assert.Equal(Weights("a"), Weights("b"));
        Assert.NotEqual(Weights("a"), Weights("c"));
    }

    [Fact]
    public void A_diverging_run_stops_with_the_step_number_and_keeps_the_last_good_checkpoint()
    {
        var corpus = TinyRun.Corpus(_tmp);
        Train(TinyRun.Options(corpus, _tmp["run"], steps: 10));
        var good = File.ReadAllBytes(_tmp["run/model/model.safetensors"]);
        // A learning rate near float's limit: AdamW moves every weight by about lr, so the next forward pass overflows.
        var e = Assert.Throws<SharpLmException>(() => Train(TinyRun.Options(corpus, _tmp["run"], steps: 30) with
        {
            Resume = true, Lr = 1e37, WarmupSteps = 0,
        }));
        Assert.Matches(@"loss became \S+ \(gradient norm \S+\) at step 1[1-9]: training diverged", e.Message);
        Assert.Contains("step-000010", e.Message);
        Checkpoint.Verify(_tmp["run/model"]);
        Assert.Equal(10, TrainerState.Load(_tmp["run/model"]).Step);
        Assert.Equal(good, File.ReadAllBytes(_tmp["run/model/model.safetensors"]));
    }

    [Theory]
    [InlineData(CheckpointManager.OptimizerFile)]
    [InlineData(TrainerState.FileName)]
    [InlineData(Checkpoint.WeightsFile)]
    public void A_flipped_byte_in_a_resumable_checkpoint_names_the_file(string file)
    {
        var corpus = TinyRun.Corpus(_tmp);
        Train(TinyRun.Options(corpus, _tmp["run"], steps: 10));
        var path = _tmp[$"run/checkpoints/step-000010/{file}"];
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SharpLmException>(() => Train(TinyRun.Options(corpus, _tmp["run"], steps: 20) with { Resume = true }));
        Assert.Contains(file, e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void Resuming_with_a_different_tokenizer_is_a_clear_error()
    {
        var corpus = TinyRun.Corpus(_tmp);
        Train(TinyRun.Options(corpus, _tmp["run"], steps: 10));
        var other = _tmp["other-tokenizer"];
        Directory.CreateDirectory(other);
        CharTokenizer.Train(["abc xyz"]).Save(other);
        var e = Assert.Throws<SharpLmException>(() =>
            Train(TinyRun.Options(corpus, _tmp["run"], steps: 20) with { Resume = true, Tokenizer = other }));
        Assert.Contains("does not match", e.Message);
        Assert.Contains(other, e.Message);
    }

    [Fact]
    public void A_failed_checkpoint_write_is_a_clear_error_and_keeps_the_previous_one()
    {
        var corpus = TinyRun.Corpus(_tmp);
        Train(TinyRun.Options(corpus, _tmp["run"], steps: 10));
        File.WriteAllText(_tmp["run/checkpoints/step-000020"], "in the way"); // the rename into place fails, as on a full disk
        var e = Assert.Throws<SharpLmException>(() => Train(TinyRun.Options(corpus, _tmp["run"], steps: 20) with { Resume = true }));
        Assert.Contains("could not write the checkpoint", e.Message);
        Assert.Contains("step-000010", e.Message);
        Checkpoint.Verify(_tmp["run/checkpoints/step-000010"]);
        Assert.Equal(10, TrainerState.Load(_tmp["run/model"]).Step);
    }

    [Fact]
    public void Training_into_an_existing_run_without_resume_is_refused()
    {
        var corpus = TinyRun.Corpus(_tmp);
        Train(TinyRun.Options(corpus, _tmp["run"], steps: 10));
        var e = Assert.Throws<SharpLmException>(() => Train(TinyRun.Options(corpus, _tmp["run"], steps: 10)));
        Assert.Contains("--resume", e.Message);
    }

    [Fact]
    public void Missing_empty_and_binary_corpora_are_clear_errors()
    {
        var missing = _tmp["missing.txt"];
        var empty = _tmp["empty.txt"];
        File.WriteAllText(empty, "  \n");
        var binary = _tmp["binary.txt"];
        File.WriteAllBytes(binary, [0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]);
        foreach (var (input, expected) in new[] { (missing, "not found"), (empty, "empty"), (binary, "binary") })
        {
            var e = Assert.Throws<SharpLmException>(() => Train(TinyRun.Options(input, _tmp[Guid.NewGuid().ToString("N")])));
            Assert.Contains(input, e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void Gradient_accumulation_needs_a_whole_number_of_micro_batches()
    {
        var corpus = TinyRun.Corpus(_tmp);
        var e = Assert.Throws<SharpLmException>(() => Train(TinyRun.Options(corpus, _tmp["bad"]) with { BatchTokens = 100 }));
        Assert.Contains("--batch-tokens 100", e.Message);
        var result = Train(TinyRun.Options(corpus, _tmp["run"], steps: 10) with { BatchTokens = 3 * 4 * 16 });
        Assert.Equal(10, result.Steps);
        var last = new MetricsLog(new RunFolder(_tmp["run"]).MetricsPath).Read().Last(r => r["kind"]!.GetValue<string>() == "train");
        Assert.Equal(10 * 3 * 4 * 16, last["tokens"]!.GetValue<long>());
    }

    [Fact]
    public void Pretrain_cli_exits_non_zero_on_bad_input()
    {
        int code = SharpLM.Cli.Program.Main(TinyRun.CliArgs(_tmp["missing.txt"], _tmp["run"], steps: 5));
        Assert.Equal(1, code);
    }

    [Fact]
    public void Run_json_records_the_options()
    {
        Train(TinyRun.Options(TinyRun.Corpus(_tmp), _tmp["run"], steps: 10));
        var run = JsonNode.Parse(File.ReadAllText(_tmp["run/run.json"]))!;
        Assert.Equal("pretrain", run["stage"]!.GetValue<string>());
        Assert.Equal(10, run["options"]!["steps"]!.GetValue<long>());
    }
}

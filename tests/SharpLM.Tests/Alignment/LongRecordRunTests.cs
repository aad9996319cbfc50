using System.Text.Json.Nodes;
using SharpLM.Alignment;
using SharpLM.Tests.Cli;
using Xunit.Abstractions;

namespace SharpLM.Tests.Alignment;

/// <summary>Records longer than the context are skipped and counted by default, so one long record never stops a run.</summary>
public class LongRecordRunTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>9 short prompts and 2 that cannot fit a context of 48 (TinyRlhf's alphabet only).</summary>
    string MixedPrompts()
    {
        var lines = Enumerable.Range(0, 11).Select(i => new JsonObject
        {
            ["prompt"] = i % 4 == 3 ? "q " + string.Concat(Enumerable.Repeat("long words ", 6)) + "?" : "q ab?", ["answer"] = "a",
        }.ToJsonString());
        File.WriteAllLines(_tmp["prompts.jsonl"], lines);
        return _tmp["prompts.jsonl"];
    }

    [Fact]
    public void Grpo_skips_prompts_that_leave_no_room_for_an_answer_and_says_how_many()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var lines = new List<string>();
        var o = new RlOptions(sft, [MixedPrompts()], "contains", _tmp["grpo"], Steps: 2, Rollouts: 4, Group: 2, MaxNewTokens: 8,
            CheckpointEvery: 2, Threads: 1);
        var result = new GrpoTrainer(log: line => { lines.Add(line); output.WriteLine(line); }).Run(o);
        Assert.Equal(2, result.History.Count);
        Assert.Contains("grpo: skipped 2 of 11 prompts longer than 40 tokens", lines);
    }

    [Fact]
    public void Ppo_with_on_long_error_stops_before_any_work_naming_the_record()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var prompts = MixedPrompts();
        var (code, _, error) = CliRun.Run("ppo", "--policy", sft, "--prompts", prompts, "--reward", "contains", "--out", _tmp["ppo"],
            "--steps", "1", "--max-tokens", "8", "--on-long", "error", "--threads", "1");
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {prompts}:4: the prompt has ", error);
        Assert.Contains("more than the limit of 40 (the context 48 minus --max-tokens 8)", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(_tmp["ppo"]));

        var (badCode, _, badError) = CliRun.Run("ppo", "--policy", sft, "--prompts", prompts, "--reward", "contains", "--out", _tmp["ppo"],
            "--on-long", "middle");
        Assert.NotEqual(0, badCode);
        Assert.Contains("middle", badError);
    }

    [Fact]
    public void Dpo_skips_pairs_longer_than_the_context_and_truncates_them_when_asked()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var pairs = TinyRlhf.PolitePairs(_tmp, 20);
        File.AppendAllLines(pairs, Enumerable.Range(0, 2).Select(_ => new JsonObject
        {
            ["prompt"] = "q " + string.Concat(Enumerable.Repeat("long words ", 5)) + "?", ["chosen"] = "yes thanks", ["rejected"] = "yes now",
        }.ToJsonString()));
        foreach (var (policy, expected) in new[] { (SharpLM.Data.LongRecordPolicy.Skip, "dpo: skipped 2 of 22 pairs longer than 48 tokens"),
            (SharpLM.Data.LongRecordPolicy.TruncateLeft, "dpo: truncated 2 of 22 pairs to 48 tokens (oldest tokens cut)") })
        {
            var lines = new List<string>();
            new DpoTrainer(log: lines.Add).Run(new PreferenceTrainOptions(sft, [pairs], _tmp["dpo-" + policy], Steps: 1, BatchSize: 4,
                EvalEvery: 1, Threads: 1, OnLong: policy));
            Assert.Contains(expected, lines);
        }
    }
}

/// <summary>SFT: conversations longer than the context are skipped by default, cut with truncate-left, or stop the run named.</summary>
public class SftLongRecordTests
{
    [Fact]
    public void Sft_skips_long_conversations_by_default_and_error_names_the_record_before_any_folder_exists()
    {
        SharpLM.Core.TorchRuntime.Apply(new SharpLM.Core.TorchSettings(Threads: 1));
        using var dir = new TempDir();
        TinyBase.Save(dir["base"], TinyBase.Tokenizer(), context: 64);
        var data = dir["chat.jsonl"];
        File.WriteAllLines(data, [
            """{"instruction":"short one?","input":"","output":"yes"}""",
            """{"instruction":"a question that goes on and on and on and on and on and on and on?","input":"","output":"no"}""",
            """{"instruction":"short two?","input":"","output":"ok"}""",
        ]);
        SftOptions Options(string policy) => new(dir["base"], [data], dir[policy], Steps: 1, BatchTokens: 128,
            ValFraction: 0, EvalEvery: 10, SaveEvery: 10, OnLong: SharpLM.Data.LongRecords.Parse(policy),
            Torch: new SharpLM.Core.TorchSettings(Threads: 1));

        var skipped = new SftTrainer(Options("skip")).Run();
        Assert.Equal(new SharpLM.Data.FitCounts(2, 0, 1), skipped.Fit);
        Assert.Equal(2, skipped.TrainConversations);

        var cut = new SftTrainer(Options("truncate-left")).Run();
        Assert.Equal(new SharpLM.Data.FitCounts(2, 1, 0), cut.Fit);

        var e = Assert.Throws<SharpLM.Core.SharpLmException>(() => new SftTrainer(Options("error")).Run());
        Assert.StartsWith($"{data}:2: the conversation has ", e.Message);
        Assert.False(Directory.Exists(dir["error"]));
    }
}

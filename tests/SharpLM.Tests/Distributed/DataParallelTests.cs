using System.Diagnostics;
using System.Text.Json.Nodes;
using SharpLM.Tests.Training;
using SharpLM.Training;

namespace SharpLM.Tests.Distributed;

/// <summary>
/// Data parallelism end to end through <c>mpirun -np 2</c>: two ranks with half the rows each train to the very weights
/// of one process accumulating both halves; a killed rank stops the job and the run resumes; inconsistent launches are
/// refused before any work. Every run is a tiny model with one libtorch thread per rank.
/// </summary>
public sealed class DataParallelTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>4 rows × 16 tokens per micro-batch, 128 tokens per step: two micro-batches, one per rank on two ranks.</summary>
    static string[] Pretrain(string corpus, string outDir, long steps = 20, string lr = "3e-3", int batchTokens = 128,
        int evalEvery = 10, params string[] extra) =>
    [
        "pretrain", "--data", corpus, "--tokenizer", "char", "--out", outDir, "--depth", "1", "--context", "16",
        "--width", "32", "--heads", "2", "--steps", steps.ToString(), "--batch-size", "4",
        "--batch-tokens", batchTokens.ToString(), "--lr", lr, "--warmup", "2", "--eval-every", evalEvery.ToString(),
        "--eval-batches", "2", "--log-every", "5", "--threads", "1", "--seed", "1337", "--precision", "fp32", .. extra,
    ];

    byte[] Weights(string run) => File.ReadAllBytes(Path.Combine(_tmp[run], "model", Checkpoint.WeightsFile));

    static void Succeeded((int Code, string Output) r) => Assert.True(r.Code == 0, $"exit {r.Code}:\n{r.Output}");

    [Fact]
    public void Every_collective_gives_the_expected_values_on_three_ranks()
    {
        using var job = new MpiJob(MpiJob.ProbeDll, (3, []));
        var (code, output) = job.Wait();
        Assert.True(code == 0, output);
        for (int r = 0; r < 3; r++)
        {
            Assert.Contains($"rank {r} ok", output);
            Assert.Contains($"rank {r}: inconsistent launch: rank 1 got different options than rank 0", output);
        }
    }

    [Fact]
    public void Pretraining_on_two_ranks_gives_the_weights_of_one_process_bitwise()
    {
        var corpus = TinyRun.Corpus(_tmp);
        Assert.Equal(0, Cli.CliRun.Run(Pretrain(corpus, _tmp["one"])).Code);
        Succeeded(MpiJob.Run(2, Pretrain(corpus, _tmp["two"])));

        Assert.Equal(Weights("one"), Weights("two"));
        Assert.Equal(2, JsonNode.Parse(File.ReadAllText(_tmp["two/run.json"]))!["world_size"]!.GetValue<int>());
        Assert.Equal(2, TrainerState.Load(_tmp["two/model"]).WorldSize);
        Assert.Equal(1, TrainerState.Load(_tmp["one/model"]).WorldSize);
        // Rank 0 alone wrote the metrics: one line per logged step, not one per rank.
        Assert.Equal(File.ReadAllLines(_tmp["one/metrics.jsonl"]).Length, File.ReadAllLines(_tmp["two/metrics.jsonl"]).Length);
    }

    [Fact]
    public void Sft_on_two_ranks_gives_the_weights_of_one_process_bitwise()
    {
        var tokenizer = TinyBase.Tokenizer();
        TinyBase.Save(_tmp["base"], tokenizer);
        var facts = _tmp.File("facts.jsonl", string.Join('\n', new[] { ("capital of france?", "paris"), ("two plus two?", "four"),
            ("color of the sky?", "blue"), ("opposite of hot?", "cold"), ("first letter?", "a") }
            .Select(f => $$"""{"instruction":"{{f.Item1}}","input":"","output":"{{f.Item2}}"}""")));
        var corpus = TinyRun.Corpus(_tmp);
        // Replay text makes every row the whole context (65 tokens, 64 trained): 256 tokens are 4 rows, 2 micro-batches of 2.
        string[] Sft(string outDir) =>
        [
            "sft", "--base", _tmp["base"], "--data", facts, "--out", outDir, "--steps", "20", "--lr", "1e-2",
            "--batch-tokens", "256", "--batch-size", "2", "--val-fraction", "0", "--replay", corpus, "--replay-fraction", "0",
            "--eval-every", "10", "--save-every", "10", "--threads", "1", "--precision", "fp32",
        ];
        Assert.Equal(0, Cli.CliRun.Run(Sft(_tmp["one"])).Code);
        Succeeded(MpiJob.Run(2, Sft(_tmp["two"])));

        Assert.Equal(Weights("one"), Weights("two"));
        Assert.Equal(2, TrainerState.Load(_tmp["two/model"]).WorldSize);
    }

    [Fact]
    public void Reward_model_and_dpo_on_two_ranks_train_as_one_process_up_to_rounding()
    {
        var sft = Alignment.TinyRlhf.Sft(_tmp);
        var data = Alignment.TinyRlhf.PolitePairs(_tmp, 40);
        foreach (var verb in new[] { "reward train", "dpo" })
        {
            string[] Args(string outDir) =>
            [
                .. verb.Split(' '), "--base", sft, "--data", data, "--out", outDir, "--steps", "4", "--batch-size", "8",
                "--lr", "3e-3", "--warmup", "1", "--eval-every", "4", "--threads", "1", "--precision", "fp32",
            ];
            var one = _tmp[verb + " one"];
            var two = _tmp[verb + " two"];
            Assert.Equal(0, Cli.CliRun.Run(Args(one)).Code);
            var (code, output) = MpiJob.Run(2, Args(two));
            Assert.True(code == 0, output);
            Assert.Single(output.Split('\n'), line => line.StartsWith("done: 4 steps", StringComparison.Ordinal));
            Assert.Equal(2, TrainerState.Load(Path.Combine(two, "model")).WorldSize);
            // Each rank's loss is the mean over its half of the pairs; their average is the mean over all, as on one
            // process, but summed in another order: equal up to float rounding, amplified a little by Adam.
            using var a = RunFolder.LoadModel(one);
            using var b = RunFolder.LoadModel(two);
            var pb = b.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in a.Model.named_parameters())
                Assert.True(p.allclose(pb[name], rtol: 0, atol: 1e-3), $"{verb}: {name} differs");
        }
    }

    [Fact]
    public void Ppo_and_grpo_split_their_rollouts_over_two_ranks()
    {
        var sft = Alignment.TinyRlhf.Sft(_tmp);
        File.WriteAllLines(_tmp["prompts.txt"], ["q ab?", "q cd?"]);
        foreach (var (verb, extra) in new[] { ("ppo", new[] { "--kl-coef", "0.1" }), ("grpo", new[] { "--group", "2" }) })
        {
            var (code, output) = MpiJob.Run(2,
            [
                verb, "--policy", sft, "--prompts", _tmp["prompts.txt"], "--reward", "format:.*a.*", "--out", _tmp[verb],
                "--steps", "2", "--rollouts", "2", "--mini-batch", "2", "--max-tokens", "4", "--threads", "1", .. extra,
            ]);
            Assert.True(code == 0, output);
            Assert.Single(output.Split('\n'), line => line.StartsWith("done: iteration 1 → 2", StringComparison.Ordinal));
            Assert.Equal(2, TrainerState.Load(_tmp[verb + "/model"]).WorldSize);
        }
        var refused = MpiJob.Run(2, ["grpo", "--policy", sft, "--prompts", _tmp["prompts.txt"], "--reward", "format:.*a.*",
            "--out", _tmp["odd"], "--steps", "1", "--rollouts", "2", "--mini-batch", "3", "--max-tokens", "4", "--threads", "1"]);
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("--mini-batch 3 does not divide evenly over 2 ranks", refused.Output);
    }

    [Fact]
    public void A_killed_rank_stops_the_job_and_the_last_checkpoint_resumes_to_the_uninterrupted_weights()
    {
        var corpus = TinyRun.Corpus(_tmp);
        // A constant rate after warmup (--min-lr = --lr) makes the schedule independent of --steps, so a run cut short and
        // resumed with --steps 20 trains as one that ran 20 steps; the first run is far too long to end before the kill,
        // however fast the machine.
        string[] schedule = ["--min-lr", "3e-3", "--keep", "100000"];
        Assert.Equal(0, Cli.CliRun.Run(Pretrain(corpus, _tmp["whole"], 20, evalEvery: 5, extra: schedule)).Code);

        var killed = new CheckpointManager(new RunFolder(_tmp["killed"]), "pretrain");
        using (var job = new MpiJob((2, Pretrain(corpus, _tmp["killed"], 1_000_000, evalEvery: 5, extra: schedule))))
        {
            var clock = Stopwatch.StartNew();
            while (killed.Latest() is null && !job.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(5);
            Assert.False(job.HasExited, $"the job ended before a checkpoint appeared:\n{job.Output}");
            int pid = job.RankPid(1) ?? throw new InvalidOperationException($"rank 1 not found:\n{job.Output}");
            Process.GetProcessById(pid).Kill(); // SIGKILL
            var (code, output) = job.Wait();
            Assert.NotEqual(0, code);
            Assert.Contains("rank 1", output);
            Assert.Contains("signal 9", output);
        }
        // Keep the checkpoints a kill landing anywhere up to step 15 would have left (a slow kill lets the run go on).
        foreach (var dir in Directory.EnumerateDirectories(_tmp["killed/checkpoints"], "step-*"))
            if (TrainerState.Load(dir).Step > 15) Directory.Delete(dir, recursive: true);
        Assert.NotNull(killed.Latest());

        Succeeded(MpiJob.Run(2, Pretrain(corpus, _tmp["killed"], 20, evalEvery: 5, extra: [.. schedule, "--resume"])));
        Assert.Equal(Weights("whole"), Weights("killed"));
        Assert.Equal(20, TrainerState.Load(_tmp["killed/model"]).Step);
    }

    [Fact]
    public void A_run_resumes_on_another_number_of_ranks_with_the_same_global_batch()
    {
        var corpus = TinyRun.Corpus(_tmp);
        string[] constantRate = ["--min-lr", "3e-3"]; // the schedule does not depend on --steps
        Assert.Equal(0, Cli.CliRun.Run(Pretrain(corpus, _tmp["whole"], 20, extra: constantRate)).Code);
        Succeeded(MpiJob.Run(2, Pretrain(corpus, _tmp["moved"], 10, extra: constantRate)));
        Assert.Equal(2, TrainerState.Load(_tmp["moved/model"]).WorldSize);

        var (code, output, _) = Cli.CliRun.Run(Pretrain(corpus, _tmp["moved"], 20, extra: [.. constantRate, "--resume"]));
        Assert.Equal(0, code);
        Assert.Contains("was trained on 2 rank(s), now 1: the global batch stays 128 tokens", output);
        Assert.Equal(1, TrainerState.Load(_tmp["moved/model"]).WorldSize);
        // One micro-batch per rank before, both on one process after: the same additions, so the same bits.
        Assert.Equal(Weights("whole"), Weights("moved"));

        // 3 ranks cannot share 2 micro-batches: refused, naming the numbers.
        var refused = MpiJob.Run(3, Pretrain(corpus, _tmp["moved"], 30, extra: [.. constantRate, "--resume"]));
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("--batch-tokens 128 does not divide evenly over 3 ranks", refused.Output);
    }

    [Fact]
    public void Ranks_given_different_options_are_refused_before_any_work()
    {
        var corpus = TinyRun.Corpus(_tmp);
        using var job = new MpiJob((1, Pretrain(corpus, _tmp["run"])), (1, Pretrain(corpus, _tmp["run"], lr: "2e-3")));
        var (code, output) = job.Wait();
        Assert.NotEqual(0, code);
        Assert.Contains("inconsistent launch: rank 1 got different options than rank 0", output);
        Assert.False(Directory.Exists(_tmp["run"]), "a refused launch created the run folder");
    }

    [Fact]
    public void A_batch_that_does_not_divide_over_the_ranks_is_refused()
    {
        var corpus = TinyRun.Corpus(_tmp);
        var (code, output) = MpiJob.Run(2, Pretrain(corpus, _tmp["run"], batchTokens: 64));
        Assert.NotEqual(0, code);
        Assert.Contains("--batch-tokens 64 does not divide evenly over 2 ranks", output);
    }

    [Fact]
    public void A_verb_that_runs_in_one_process_is_refused_under_mpirun_before_any_work()
    {
        var (code, output) = MpiJob.Run(2, "speedrun", "--out", _tmp["speedrun"], "--minutes", "1", "--threads", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("speedrun runs in one process, but mpirun started 2", output);
        Assert.False(Directory.Exists(_tmp["speedrun"]), "a refused launch created the speedrun folder");
    }
}

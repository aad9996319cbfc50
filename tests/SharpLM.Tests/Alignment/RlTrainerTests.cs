using System.Text.Json.Nodes;
using SharpLM.Alignment;
using SharpLM.Alignment.Rewards;
using SharpLM.Core;
using SharpLM.Tests.Training;
using SharpLM.Training;
using Xunit.Abstractions;

namespace SharpLM.Tests.Alignment;

public class RlTrainerTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    string Prompts(int count)
    {
        var rng = new Random(3);
        var lines = Enumerable.Range(0, count).Select(i => new JsonObject
        {
            ["prompt"] = "q " + (char)('a' + rng.Next(26)) + (char)('a' + rng.Next(26)) + "?", ["answer"] = "a",
        }.ToJsonString());
        File.WriteAllLines(_tmp["prompts.jsonl"], lines);
        return _tmp["prompts.jsonl"];
    }

    /// <summary>Prints every iteration, then checks the last 3 iterations' mean reward beats the first 3's within a KL bound.</summary>
    void AssertRewardRose(string name, RlResult result)
    {
        foreach (var s in result.History)
            output.WriteLine($"{name} step {s.Step}: reward {s.MeanReward:F3} KL {s.Kl:F3} entropy {s.Entropy:F3} length {s.ResponseLength:F1} clip {s.ClipFraction:P0} value loss {s.ValueLoss:F4}");
        double before = result.History.Take(3).Average(s => s.MeanReward), after = result.History.TakeLast(3).Average(s => s.MeanReward);
        output.WriteLine($"{name} mean reward: first 3 iterations {before:F3} → last 3 {after:F3}; final KL {result.History[^1].Kl:F3} nats");
        Assert.True(after > before + 0.2, $"reward {before:F3} → {after:F3}");
        Assert.True(result.History[^1].Kl < 10, $"KL {result.History[^1].Kl}");
    }

    [Fact]
    public void Ppo_raises_mean_reward_within_a_bounded_kl()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var o = new RlOptions(sft, [Prompts(32)], "contains", _tmp["ppo"], Steps: 12, Rollouts: 16, KlCoef: 0.02, Lr: 1e-2,
            Epochs: 2, MiniBatch: 8, MaxNewTokens: 6, SampleEvery: 4, CheckpointEvery: 6, Threads: 1, ValueWarmup: 2,
            Precision: "fp32");
        var result = new PpoTrainer(log: output.WriteLine).Run(o);
        AssertRewardRose("ppo", result);
        Assert.True(File.Exists(Path.Combine(result.ModelDir, Critic.FileName)));
        Assert.True(File.Exists(Path.Combine(result.RunDir, RewardChart.FileName)));
    }

    [Fact]
    public void Grpo_raises_mean_reward_within_a_bounded_kl()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var o = new RlOptions(sft, [Prompts(32)], "contains", _tmp["grpo"], Steps: 12, Rollouts: 4, Group: 4, KlCoef: 0.02, Lr: 1e-2,
            Epochs: 1, MiniBatch: 16, MaxNewTokens: 6, SampleEvery: 4, CheckpointEvery: 6, Threads: 1, Precision: "fp32");
        var result = new GrpoTrainer(log: output.WriteLine).Run(o);
        AssertRewardRose("grpo", result);
    }

    [Fact]
    public void Ppo_against_a_trained_reward_model_raises_its_score()
    {
        var sft = TinyRlhf.Sft(_tmp);
        new RewardTrainer().Run(new PreferenceTrainOptions(sft, [TinyRlhf.PolitePairs(_tmp, 160)], _tmp["rm"],
            Steps: 20, BatchSize: 16, Lr: 3e-3, WarmupSteps: 2, EvalEvery: 20, Threads: 1, Precision: "fp32"));
        // 12 iterations, as the other PPO test: with 10 the rise (first 3 vs last 3) sat at the 0.2 bar and flipped with the
        // last bits of fp32 (issue 18's fused training functions: +0.19 in the full suite, +0.67 run alone). fp32 in every
        // stage: with "auto", each stage's precision hangs on a 0.15 s timing; this test failed in one full run of two and
        // after CausalAttentionTests, and passed alone (issue 18, sixth pass).
        var o = new RlOptions(sft, [Prompts(32)], _tmp["rm"], _tmp["ppo"], Steps: 12, Rollouts: 16, KlCoef: 0.05, Lr: 5e-3,
            Epochs: 2, MiniBatch: 8, MaxNewTokens: 8, SampleEvery: 5, CheckpointEvery: 10, Threads: 1, ValueWarmup: 2,
            Precision: "fp32");
        AssertRewardRose("ppo+rm", new PpoTrainer(log: output.WriteLine).Run(o));
    }

    [Fact]
    public void Ppo_resumed_from_a_checkpoint_reaches_identical_weights()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var prompts = Prompts(16);
        RlOptions Options(string dir, int steps, bool resume = false) => new(sft, [prompts], "contains", dir, Steps: steps, Rollouts: 4,
            Lr: 1e-2, Epochs: 2, MiniBatch: 2, MaxNewTokens: 4, CheckpointEvery: 2, Resume: resume, Threads: 1, ValueWarmup: 1,
            Precision: "fp32");
        new PpoTrainer().Run(Options(_tmp["whole"], 4));
        new PpoTrainer().Run(Options(_tmp["split"], 2));
        var resumed = new PpoTrainer().Run(Options(_tmp["split"], 4, resume: true));
        Assert.Equal([3L, 4L], resumed.History.Select(s => s.Step));
        foreach (var file in new[] { Checkpoint.WeightsFile, Critic.FileName })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_tmp["whole"], "model", file)), File.ReadAllBytes(Path.Combine(_tmp["split"], "model", file)));
    }

    [Fact]
    public void A_reward_model_with_another_tokenizer_is_refused()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var other = TinyRlhf.Sft(_tmp, "other", alphabet: "abc xyz?");
        var rm = _tmp["rm"];
        using (var loaded = Checkpoint.Load(other)) RewardModel.FromBase(loaded).Save(rm);
        var e = Assert.Throws<SharpLmException>(() => new PpoTrainer().Run(new RlOptions(sft, [Prompts(4)], rm, _tmp["ppo"], Threads: 1)));
        output.WriteLine(e.Message);
        Assert.StartsWith($"{sft} and {rm} use different tokenizers (", e.Message);
        Assert.False(Directory.Exists(_tmp["ppo"]));
    }

    [Fact]
    public void Reward_functions_check_answers_against_the_reference()
    {
        Assert.Equal(72m, ReferenceReward.ExtractNumber("She sold 48/2 = 24 in May... #### 72"));
        Assert.Equal(1234.5m, ReferenceReward.ExtractNumber("so the total is $1,234.5."));
        Assert.Null(ReferenceReward.ExtractNumber("no digits"));
        Assert.True(new ReferenceReward(ReferenceMatch.Number).Matches("I think 3 + 4 = 7", "#### 7"));
        Assert.False(new ReferenceReward(ReferenceMatch.Number).Matches("7 or 8", "#### 7"));
        Assert.True(new ReferenceReward(ReferenceMatch.Exact).Matches("  Paris \n", "Paris"));
        Assert.False(new ReferenceReward(ReferenceMatch.Exact).Matches("Paris!", "Paris"));
        Assert.True(new ReferenceReward(ReferenceMatch.Contains).Matches("It is PARIS.", "paris"));
    }
}

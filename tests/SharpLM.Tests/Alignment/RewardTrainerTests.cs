using SharpLM.Alignment;
using SharpLM.Core;
using SharpLM.Tests.Training;
using Xunit.Abstractions;

namespace SharpLM.Tests.Alignment;

public class RewardTrainerTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Reward_model_learns_that_polite_answers_are_chosen()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var data = TinyRlhf.PolitePairs(_tmp, 240);
        var result = new RewardTrainer(log: output.WriteLine).Run(new PreferenceTrainOptions(sft, [data], _tmp["rm"],
            Steps: 30, BatchSize: 16, Lr: 3e-3, WarmupSteps: 5, ValFraction: 0.25, EvalEvery: 15, Threads: 1,
            Precision: "fp32"));
        output.WriteLine($"held-out accuracy {result.Before.Accuracy:P1} → {result.After.Accuracy:P1}, margin {result.Before.MeanMargin:F3} → {result.After.MeanMargin:F3} over {result.After.Pairs} pairs");
        Assert.True(result.After.Accuracy >= 0.95, $"held-out accuracy {result.After.Accuracy:P1}");
        Assert.True(result.After.MeanMargin > result.Before.MeanMargin);

        using var rm = RewardModel.Load(_tmp["rm"]);
        var prompt = new[] { new SharpLM.Tokenization.ChatMessage("user", "q ab?") };
        Assert.True(rm.Score(prompt, "cd ef thanks") > rm.Score(prompt, "cd ef now"));
    }

    [Fact]
    public void A_checkpoint_without_a_reward_head_is_refused_by_name()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var e = Assert.Throws<SharpLmException>(() => RewardModel.Load(sft));
        Assert.Contains("not a reward model (reward_head.safetensors missing)", e.Message);
    }
}

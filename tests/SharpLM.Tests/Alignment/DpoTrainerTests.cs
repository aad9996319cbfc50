using SharpLM.Alignment;
using SharpLM.Tests.Training;
using Xunit.Abstractions;

namespace SharpLM.Tests.Alignment;

public class DpoTrainerTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Dpo_raises_the_held_out_chosen_over_rejected_margin()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var data = TinyRlhf.PolitePairs(_tmp, 160);
        var result = new DpoTrainer(log: output.WriteLine).Run(new PreferenceTrainOptions(sft, [data], _tmp["dpo"],
            Steps: 20, BatchSize: 16, Lr: 3e-3, WarmupSteps: 2, Beta: 0.1, ValFraction: 0.25, EvalEvery: 10, Threads: 1,
            Precision: "fp32"));
        output.WriteLine($"held-out implicit reward accuracy {result.Before.Accuracy:P1} → {result.After.Accuracy:P1}, margin {result.Before.MeanMargin:F4} → {result.After.MeanMargin:F4}");
        Assert.Equal(0, result.Before.MeanMargin, 4); // the policy starts as its own reference
        Assert.True(result.After.MeanMargin > 0.5, $"margin {result.After.MeanMargin}");
        Assert.True(result.After.Accuracy >= 0.9, $"accuracy {result.After.Accuracy:P1}");
        Assert.True(File.Exists(Path.Combine(result.ModelDir, "chat_template.json")));
        // RPO's NLL term and the chosen/rejected log-probabilities and implicit rewards are logged every step, and charted.
        var rows = new SharpLM.Training.MetricsLog(Path.Combine(result.RunDir, "metrics.jsonl")).Read().Where(r => r["kind"]?.GetValue<string>() == "train").ToList();
        Assert.Equal(20, rows.Count);
        Assert.All(rows, r => Assert.All(new[] { "chosen_logp", "rejected_logp", "chosen_reward", "rejected_reward", "nll" }, k => Assert.NotNull(r[k])));
        Assert.True(rows[^1]["chosen_reward"]!.GetValue<double>() > rows[^1]["rejected_reward"]!.GetValue<double>());
        Assert.True(new FileInfo(Path.Combine(result.RunDir, DpoChart.FileName)).Length > 1000);
    }
}

using System.Text.Json.Nodes;
using SharpLM.Alignment;
using SharpLM.Core;
using SharpLM.Tests.Training;
using SharpLM.Training;

namespace SharpLM.Tests.Alignment;

/// <summary>A time limit already spent stops every trainer after its first step, with a complete, loadable model/.</summary>
public sealed class TimeLimitTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Sft_stops_after_one_step_once_its_time_is_spent()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1));
        TinyBase.Save(_tmp["base"], TinyBase.Tokenizer());
        File.WriteAllLines(_tmp["qa.jsonl"], Enumerable.Range(0, 8).Select(i => $$"""{"instruction":"q{{i}}?","input":"","output":"a{{i}}"}"""));
        var result = new SftTrainer(new SftOptions(_tmp["base"], [_tmp["qa.jsonl"]], _tmp["sft"], Steps: 50, Lr: 1e-3, BatchTokens: 64,
            ValFraction: 0, EvalEvery: 1000, SaveEvery: 1000, Torch: new TorchSettings(Threads: 1), TimeLimitSeconds: 0)).Run();

        Assert.Equal(1, result.Steps);
        Assert.Equal(1, TrainerState.Load(new RunFolder(_tmp["sft"]).ModelDir).Step);
    }

    [Fact]
    public void Dpo_and_ppo_stop_after_one_step_once_their_time_is_spent()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var pairs = TinyRlhf.PolitePairs(_tmp, 40);
        var dpo = new DpoTrainer().Run(new PreferenceTrainOptions(sft, [pairs], _tmp["dpo"], Steps: 50, BatchSize: 4, ValFraction: 0.1,
            EvalEvery: 1000, Threads: 1, TimeLimitSeconds: 0));
        Assert.Equal(1, dpo.Steps);
        Assert.Equal(1, TrainerState.Load(dpo.ModelDir).Step);

        File.WriteAllLines(_tmp["prompts.jsonl"], Enumerable.Range(0, 8).Select(i => new JsonObject { ["prompt"] = $"q {(char)('a' + i)}?", ["answer"] = "a" }.ToJsonString()));
        var ppo = new PpoTrainer().Run(new RlOptions(sft, [_tmp["prompts.jsonl"]], "contains", _tmp["ppo"], Steps: 50, Rollouts: 4, MiniBatch: 4,
            MaxNewTokens: 4, CheckpointEvery: 1000, Threads: 1, TimeLimitSeconds: 0));
        Assert.Single(ppo.History);
        Assert.Equal(1, TrainerState.Load(ppo.ModelDir).Step);
    }
}

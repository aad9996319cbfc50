using SharpLM.Model;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

public class OptimizerFactoryTests
{
    [Fact]
    public void Only_matmul_weights_are_decayed()
    {
        using var model = new Gpt(new GptConfig(VocabSize: 10, ContextLength: 8, Depth: 1, Width: 16, Heads: 2, KvHeads: 2));
        var decayed = model.named_parameters().Where(np => OptimizerFactory.Decays(np.name, np.parameter)).Select(np => np.name).Order().ToArray();
        Assert.Equal(new[]
        {
            "lm_head.weight",
            "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.up_proj.weight",
            "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.o_proj.weight",
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.v_proj.weight",
        }, decayed);

        using var adamw = OptimizerFactory.AdamW(model, new AdamWSettings(WeightDecay: 0.1));
        var groups = adamw.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>().ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(decayed.Length, groups[0].Parameters.Count());
        Assert.Equal(model.parameters().Count() - decayed.Length, groups[1].Parameters.Count());
    }
}

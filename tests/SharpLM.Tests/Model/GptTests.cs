using SharpLM.Core;
using SharpLM.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Tests.Model;

public class GptTests
{
    static GptConfig Tiny(int kvHeads = 2, MlpKind mlp = MlpKind.ReluSquared, bool tie = false) =>
        new(VocabSize: 50, ContextLength: 32, Depth: 2, Width: 32, Heads: 4, KvHeads: kvHeads, Mlp: mlp, TieEmbeddings: tie);

    [Theory]
    [InlineData(4, MlpKind.ReluSquared, false)]
    [InlineData(2, MlpKind.SwiGlu, false)]
    [InlineData(1, MlpKind.ReluSquared, true)]
    public void Parameter_count_matches_the_config_formula(int kvHeads, MlpKind mlp, bool tie)
    {
        var config = Tiny(kvHeads, mlp, tie);
        using var model = new Gpt(config);
        Assert.Equal(config.ParameterCount, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Parameters_use_the_llama_names()
    {
        using var model = new Gpt(Tiny());
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.layers.1.self_attn.q_proj.weight", names);
        Assert.Contains("model.layers.0.self_attn.k_norm.weight", names);
        Assert.Contains("model.layers.0.mlp.down_proj.weight", names);
        Assert.Contains("model.layers.0.post_attention_layernorm.weight", names);
        Assert.Contains("model.norm.weight", names);
        Assert.Contains("lm_head.weight", names);
        Assert.Equal(3 + 2 * 10, names.Count); // embed, final norm, head; per block 2 norms, q k v o, q/k norms, up, down
    }

    [Fact]
    public void Initial_loss_is_near_uniform_and_masked_targets_are_ignored()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 1));
        using var model = new Gpt(Tiny());
        using var scope = NewDisposeScope();
        var idx = randint(0, 50, [3, 16]);
        var targets = randint(0, 50, [3, 16]);
        float loss = model.Loss(idx, targets).item<float>();
        Assert.InRange(loss, Math.Log(50) - 0.3, Math.Log(50) + 0.3);

        // Positions whose target is IgnoreIndex must not change the loss, whatever their logits.
        var partial = targets.clone();
        partial[.., 8..] = tensor(Gpt.IgnoreIndex);
        var logits = model.forward(idx);
        var expected = Gpt.CrossEntropy(logits[.., ..8], targets[.., ..8]).item<float>();
        Assert.Equal(expected, Gpt.CrossEntropy(logits, partial).item<float>(), 5);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public void Cached_incremental_logits_equal_the_full_forward_pass(int kvHeads)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 2));
        using var model = new Gpt(Tiny(kvHeads));
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var idx = randint(0, 50, [2, 20]);
        var full = model.forward(idx);                                         // (2, 20, V)
        using var cache = new KvCache(model.Config, batch: 2, CPU);
        var prefill = model.Logits(model.Hidden(idx[.., ..7], cache));         // prompt of 7
        var chunk = model.Logits(model.Hidden(idx[.., 7..10], cache));         // 3 more at once (shifted causal mask)
        var steps = Enumerable.Range(10, 10).Select(t => model.Logits(model.Hidden(idx[.., t..(t + 1)], cache))).ToList();
        var incremental = cat([prefill, chunk, .. steps], 1);
        Assert.True(allclose(full, incremental, rtol: 1e-4, atol: 1e-4),
            $"max difference {(full - incremental).abs().max().item<float>()}");
    }

    [Fact]
    public void Too_long_a_sequence_is_a_clear_error()
    {
        using var model = new Gpt(Tiny());
        var e = Assert.Throws<SharpLmException>(() => model.forward(zeros(1, 33, ScalarType.Int64)));
        Assert.Contains("context length 32", e.Message);
    }

    [Fact]
    public void Bf16_compute_stays_close_to_fp32()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 3));
        using var model = new Gpt(Tiny());
        using var scope = NewDisposeScope();
        var idx = randint(0, 50, [2, 16]);
        var fp32 = model.forward(idx);
        model.ComputeType = ScalarType.BFloat16;
        var bf16 = model.forward(idx);
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.True((fp32 - bf16).abs().max().item<float>() < 0.05f);
    }

    [Fact]
    public void Invalid_config_names_the_field()
    {
        var e = Assert.Throws<SharpLmException>(() => new GptConfig(50, 32, 2, 30, 4, 4).Validate());
        Assert.Contains("heads", e.Message);
    }
}

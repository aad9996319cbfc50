using SharpLM.Core;
using SharpLM.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Tests.Model;

/// <summary>
/// The model's training forward pass (one stacked q/k/v product, q and k normalised and rotated together, SwiGLU's gate
/// and up as one product, intermediates freed early) against the architecture written out plainly from its parameters:
/// separate projections, per-head norms, rotation and attention as in the papers. Same loss, same gradients, also when
/// the head and the loss run over chunks of rows (<see cref="HeadLoss"/>, uneven chunks, some targets ignored).
/// </summary>
public class GptReferenceTests
{
    [Theory]
    [InlineData(4, MlpKind.ReluSquared, 0)]
    [InlineData(2, MlpKind.SwiGlu, 0)]
    [InlineData(1, MlpKind.ReluSquared, 0)]
    [InlineData(4, MlpKind.ReluSquared, 7)]
    [InlineData(2, MlpKind.SwiGlu, 16)]
    public void Loss_and_gradients_match_the_plainly_written_architecture(int kvHeads, MlpKind mlp, int chunkRows)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 7));
        var config = new GptConfig(VocabSize: 50, ContextLength: 32, Depth: 2, Width: 32, Heads: 4, KvHeads: kvHeads, Mlp: mlp);
        using var model = new Gpt(config);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.1); // norm weights away from 1
        var idx = randint(0, 50, [3, 16]);
        var targets = randint(0, 50, [3, 16]);
        if (chunkRows > 0) targets[1, 3..9] = tensor(Gpt.IgnoreIndex);                    // a chunk partly ignored
        var parameters = model.named_parameters().ToList();

        var loss = model.Loss(idx, targets, chunkRows);
        loss.backward();
        var grads = parameters.ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        foreach (var (_, p) in parameters) p.grad!.zero_();

        var reference = ReferenceLoss(config, parameters.ToDictionary(p => p.name, p => (Tensor)p.parameter), idx, targets);
        reference.backward();

        float expected = reference.item<float>(), actual = loss.item<float>();
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * expected, $"loss {actual} vs {expected}");
        foreach (var (name, p) in parameters)
        {
            double scale = Math.Max(1e-3, p.grad!.abs().max().item<float>());
            double error = (grads[name] - p.grad!).abs().max().item<float>();
            Assert.True(error <= 1e-4 * scale, $"{name}: gradient differs by {error:G3} (largest {scale:G3})");
        }
    }

    static Tensor ReferenceLoss(GptConfig c, Dictionary<string, Tensor> w, Tensor idx, Tensor targets)
    {
        long B = idx.shape[0], T = idx.shape[1];
        int H = c.Heads, K = c.KvHeads, D = c.HeadSize;
        Tensor Norm(Tensor x, Tensor weight) => x * rsqrt(x.square().mean([-1], keepdim: true) + c.NormEps) * weight;
        var angles = outer(arange(T, float64), pow(c.RopeBase, -arange(0, D, 2, float64) / D));          // (T, D/2)
        var cos = cat([angles.cos(), angles.cos()], -1).to_type(ScalarType.Float32);
        var sin = cat([angles.sin(), angles.sin()], -1).to_type(ScalarType.Float32);
        Tensor Rotate(Tensor t)                                                                           // (B, h, T, D)
        {
            var (x1, x2) = (t.narrow(-1, 0, D / 2), t.narrow(-1, D / 2, D / 2));
            return t * cos + cat([-x2, x1], -1) * sin;
        }
        var causal = ones(T, T, ScalarType.Bool).tril().logical_not();

        var x = w["model.embed_tokens.weight"].index_select(0, idx.reshape(-1)).view(B, T, c.Width);
        for (int i = 0; i < c.Depth; i++)
        {
            string l = $"model.layers.{i}.";
            var h = Norm(x, w[l + "input_layernorm.weight"]);
            Tensor Heads(string proj, int n) => F.linear(h, w[l + $"self_attn.{proj}.weight"]).view(B, T, n, D).transpose(1, 2);
            var q = Rotate(Norm(Heads("q_proj", H), w[l + "self_attn.q_norm.weight"]));
            var k = Rotate(Norm(Heads("k_proj", K), w[l + "self_attn.k_norm.weight"])).repeat_interleave(H / K, 1);
            var v = Heads("v_proj", K).repeat_interleave(H / K, 1);
            var scores = matmul(q, k.transpose(-2, -1)) / Math.Sqrt(D);
            var y = matmul(scores.masked_fill(causal, double.NegativeInfinity).softmax(-1), v);
            x = x + F.linear(y.transpose(1, 2).reshape(B, T, H * D), w[l + "self_attn.o_proj.weight"]);
            h = Norm(x, w[l + "post_attention_layernorm.weight"]);
            var up = F.linear(h, w[l + "mlp.up_proj.weight"]);
            var hidden = c.Mlp == MlpKind.SwiGlu ? F.silu(F.linear(h, w[l + "mlp.gate_proj.weight"])) * up : F.relu(up).square();
            x = x + F.linear(hidden, w[l + "mlp.down_proj.weight"]);
        }
        var logits = F.linear(Norm(x, w["model.norm.weight"]), w["lm_head.weight"]);
        return F.cross_entropy(logits.reshape(-1, c.VocabSize), targets.reshape(-1), ignore_index: Gpt.IgnoreIndex);
    }
}

using SharpLM.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// PPO's trainable model: the policy GPT and a value head on the <em>same trunk</em>. Why shared: on a 2-core CPU one forward
/// pass then yields both the log-probabilities and the values, halving PPO's cost per update; a separate value model would be
/// more stable (value gradients cannot disturb the policy's features), so the shared trunk is paired with a small value
/// coefficient (<see cref="RlOptions.ValueCoef"/>, 0.1) and the clipped value loss to keep that interference small.
/// </summary>
public sealed class PolicyWithValue : nn.Module
{
    public const string ValueHeadFile = "value_head.safetensors";

    readonly Gpt policy;
    readonly ScalarHead value;

    public PolicyWithValue(Gpt policy) : base(nameof(PolicyWithValue))
    {
        this.policy = policy;
        value = new ScalarHead(policy.Config.Width);
        RegisterComponents();
        value.to(policy.HeadWeight.device);
    }

    public Gpt Policy => policy;
    public ScalarHead Value => value;

    /// <summary>Per-position log-probabilities of the next token, values and entropies, each (B, T−1).</summary>
    public (Tensor LogProbs, Tensor Values, Tensor Entropy) Forward(SequenceBatch batch)
    {
        var hidden = policy.Hidden(batch.Ids);                                                   // (B, T, C)
        var (logp, entropy) = batch.TokenLogProbsAndEntropy(policy.Logits(hidden));               // (B, T−1) each
        return (logp, value.forward(hidden).narrow(1, 0, logp.shape[1]), entropy);
    }
}

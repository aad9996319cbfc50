using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// A linear map from the final hidden state to one number per position: the reward model's score head and the PPO value head.
/// Saved on its own (safetensors name "score.weight", "score.bias") next to the trunk's model.safetensors.
/// </summary>
public sealed class ScalarHead : nn.Module<Tensor, Tensor>
{
    readonly Linear score;

    public ScalarHead(int width) : base(nameof(ScalarHead))
    {
        score = nn.Linear(width, 1, hasBias: true);
        using (no_grad())
        {
            score.weight!.normal_(0, 1 / Math.Sqrt(width + 1)); // unit-scale outputs from RMS-normed inputs
            score.bias!.zero_();
        }
        RegisterComponents();
    }

    /// <summary>Scores (B, T) from hidden states (B, T, C), in fp32.</summary>
    public override Tensor forward(Tensor hidden) => score.forward(hidden.to_type(ScalarType.Float32)).squeeze(-1);

    /// <summary>Scores (B) of the hidden state at each row's <paramref name="lastIndex"/> (B): the final real token.</summary>
    public Tensor AtIndex(Tensor hidden, Tensor lastIndex)
    {
        var index = lastIndex.view(-1, 1, 1).expand(-1, 1, hidden.shape[2]);                // (B, 1, C)
        return forward(hidden.gather(1, index)).squeeze(1);                                   // (B)
    }
}

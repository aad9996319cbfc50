using static TorchSharp.torch;

namespace SharpLM.Inspection;

/// <summary>What the model would predict next if it stopped after this layer.</summary>
/// <param name="FinalTokenProbability">The probability this layer already gives the model's final top prediction.</param>
public sealed record LensLayer(int Layer, string Name, ScoredToken[] Top, double FinalTokenProbability);

/// <summary>The logit lens at the last position of a text: how the next-token prediction forms through the layers.</summary>
public sealed record LensReport(string Text, int FinalId, string FinalToken, LensLayer[] Layers);

public sealed partial class Inspector
{
    public LensReport Lens(string text, int top = 3)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (layers, logits) = Run(EncodeWithBos(text).Ids);
        int final = (int)logits[-1].argmax().item<long>();
        var names = LayerNames();
        var rows = new LensLayer[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            var probs = Lens(layers[i][-1]).softmax(-1);                                        // (V)
            var (values, indices) = probs.topk(Math.Min(top, (int)probs.shape[0]));
            rows[i] = new LensLayer(i, names[i], Scored(values, indices), probs[final].item<float>());
        }
        return new LensReport(text, final, Display(final), rows);
    }
}

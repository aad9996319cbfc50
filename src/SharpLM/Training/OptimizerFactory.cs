using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>AdamW hyper-parameters. <see cref="Lr"/> is only the initial rate: the <see cref="StepRunner"/> sets it each step from the schedule.</summary>
public sealed record AdamWSettings(
    double Lr = 1e-3,
    double Beta1 = 0.9,
    double Beta2 = 0.95,
    double Eps = 1e-8,
    double WeightDecay = 0.1);

/// <summary>
/// Builds AdamW with decoupled weight decay on matmul weights only: norms, biases and embeddings (anything 1-D, or named
/// "embed"/"norm") go in a second group with no decay, as in nanoGPT and nanochat. fp32 CPU parameters get
/// <see cref="FlatAdamW"/> (one buffer each for weights, gradients and moments), others <see cref="InPlaceAdamW"/>.
/// </summary>
public static class OptimizerFactory
{
    /// <summary>True when weight decay applies to the named parameter.</summary>
    public static bool Decays(string name, Tensor parameter) =>
        parameter.dim() >= 2
        && !name.Contains("embed", StringComparison.Ordinal)
        && !name.Contains("norm", StringComparison.Ordinal);

    /// <summary>AdamW over the trainable parameters of <paramref name="model"/>, in two groups (decay, no decay).</summary>
    public static AdamW AdamW(nn.Module model, AdamWSettings settings)
    {
        var trainable = model.named_parameters().Where(np => np.parameter.requires_grad).ToList();
        var groups = new[]
        {
            new AdamW.ParamGroup(trainable.Where(np => Decays(np.name, np.parameter)).Select(np => np.parameter),
                new AdamW.Options { weight_decay = settings.WeightDecay }),
            new AdamW.ParamGroup(trainable.Where(np => !Decays(np.name, np.parameter)).Select(np => np.parameter),
                new AdamW.Options { weight_decay = 0.0 }),
        };
        return FlatAdamW.Supports(groups)
            ? new FlatAdamW(groups, settings.Lr, settings.Beta1, settings.Beta2, settings.Eps, settings.WeightDecay)
            : new InPlaceAdamW(groups, settings.Lr, settings.Beta1, settings.Beta2, settings.Eps, settings.WeightDecay);
    }
}

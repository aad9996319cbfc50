using System.Globalization;
using System.Text.Json.Nodes;
using SharpLM.Core;

namespace SharpLM.Alignment;

/// <summary>
/// The PPO KL coefficient β: fixed, or adaptive towards a target KL (Ziegler et al. 2019): after each iteration
/// β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·n/horizon), n the rollouts of that iteration. Saved with each checkpoint so a
/// resumed run continues with the coefficient it had.
/// </summary>
public sealed class KlController(double coef, double? target, double horizon)
{
    public const string FileName = "kl_controller.json";

    public double Coef { get; private set; } = coef;

    /// <summary>Adapts <see cref="Coef"/> to the sequence KL just measured over <paramref name="rollouts"/> answers; fixed without a target.</summary>
    public void Update(double kl, int rollouts)
    {
        if (target is not { } t) return;
        double error = Math.Clamp(kl / t - 1, -0.2, 0.2);
        Coef *= 1 + error * rollouts / horizon;
    }

    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), new JsonObject { ["kl_coef"] = Coef }.ToJsonString());

    public void Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found — {dir} is not a PPO checkpoint");
        Coef = JsonNode.Parse(File.ReadAllText(path))?["kl_coef"]?.GetValue<double>()
               ?? throw SharpLmException.At(path, null, "kl_coef", "missing");
    }

    public override string ToString() => target is { } t
        ? string.Create(CultureInfo.InvariantCulture, $"β {Coef:G4} adaptive to KL {t:G4}")
        : string.Create(CultureInfo.InvariantCulture, $"β {Coef:G4}");
}

using System.Text.Json.Nodes;
using SharpLM.Core;

namespace SharpLM.Alignment;

/// <summary>
/// Running mean and standard deviation of the scores seen so far (Welford), so PPO's rewards are centred and of unit scale
/// whatever the reward model's range: the KL coefficient then has the same meaning in every run. Saved with each checkpoint.
/// </summary>
public sealed class RewardNormalizer
{
    public const string FileName = "reward_normalizer.json";

    long _count;
    double _mean, _m2;

    public double Mean => _mean;
    public double Std => _count > 1 ? Math.Sqrt(_m2 / (_count - 1)) : 1.0;

    /// <summary>Adds <paramref name="scores"/> to the running figures, then returns them normalised (clipped to ±5).</summary>
    public float[] Normalize(IReadOnlyList<float> scores)
    {
        foreach (var s in scores)
        {
            _count++;
            double delta = s - _mean;
            _mean += delta / _count;
            _m2 += delta * (s - _mean);
        }
        double std = Math.Max(Std, 1e-4);
        return [.. scores.Select(s => (float)Math.Clamp((s - _mean) / std, -5, 5))];
    }

    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName),
        new JsonObject { ["count"] = _count, ["mean"] = _mean, ["m2"] = _m2 }.ToJsonString());

    public void Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return; // a checkpoint of a run without normalisation
        var o = JsonNode.Parse(File.ReadAllText(path))!;
        (_count, _mean, _m2) = (o["count"]!.GetValue<long>(), o["mean"]!.GetValue<double>(), o["m2"]!.GetValue<double>());
    }
}

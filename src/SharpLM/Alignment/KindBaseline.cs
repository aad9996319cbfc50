namespace SharpLM.Alignment;

/// <summary>
/// A running mean reward per prompt kind (e.g. "fact:en", "unknown:zh"), as a second baseline for GRPO's advantage.
/// The group mean alone gives 0 to every answer of a group that scored alike, so fact prompts whose answers were all
/// correct hold nothing in place while unknown-land prompts reward "I don't know": in the speedrun every RL stage that
/// raised "I don't know" on unknown lands raised it on known facts too. Against the kind's running mean an all-correct
/// group of fact answers is above the baseline (pushed up) and an "I don't know" to a known fact below it (pushed down),
/// whatever its group did.
/// </summary>
/// <param name="decay">Weight the mean keeps per iteration; the rest goes to the iteration's own mean for that kind.</param>
public sealed class KindBaseline(double decay = KindBaseline.DefaultDecay)
{
    /// <summary>About the last ten iterations (~10 groups of each common kind in the speedrun's 8-prompt iterations).</summary>
    public const double DefaultDecay = 0.9;

    readonly double _decay = decay is >= 0 and < 1 ? decay : throw new ArgumentOutOfRangeException(nameof(decay), decay, "must be in [0, 1)");
    readonly Dictionary<string, double> _means = [];

    /// <summary>The running mean of <paramref name="kind"/>, null before its first iteration.</summary>
    public double? Mean(string kind) => _means.TryGetValue(kind, out var m) ? m : null;

    /// <summary>
    /// Advantages for one iteration's rewards (laid out group after group, <paramref name="groupSize"/> answers per prompt,
    /// <paramref name="kinds"/> one per answer): (1 − <paramref name="mix"/>) × the group-normalised advantage
    /// (<see cref="GroupAdvantages.Normalize"/>) + <paramref name="mix"/> × (r − the kind's running mean before this
    /// iteration; the iteration's own mean for a kind seen for the first time). A row without a kind keeps the group
    /// advantage alone. Then each kind's mean moves towards this iteration's mean.
    /// </summary>
    public float[] Advantages(ReadOnlySpan<float> rewards, int groupSize, IReadOnlyList<string?> kinds, double mix)
    {
        if (kinds.Count != rewards.Length) throw new ArgumentException($"{kinds.Count} kinds for {rewards.Length} rewards");
        if (mix is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(mix), mix, "must be in [0, 1]");
        var group = GroupAdvantages.Normalize(rewards, groupSize);
        var batch = new Dictionary<string, (double Sum, int Count)>();
        for (int i = 0; i < rewards.Length; i++)
            if (kinds[i] is { } k)
            {
                var (sum, count) = batch.GetValueOrDefault(k);
                batch[k] = (sum + rewards[i], count + 1);
            }
        var result = new float[rewards.Length];
        for (int i = 0; i < rewards.Length; i++)
        {
            if (kinds[i] is not { } k) { result[i] = group[i]; continue; }
            double baseline = Mean(k) ?? batch[k].Sum / batch[k].Count;
            result[i] = (float)((1 - mix) * group[i] + mix * (rewards[i] - baseline));
        }
        foreach (var (k, (sum, count)) in batch)
            _means[k] = Mean(k) is { } m ? _decay * m + (1 - _decay) * sum / count : sum / count;
        return result;
    }
}

using SharpLM.Alignment;

namespace SharpLM.Tests.Alignment;

/// <summary>
/// GRPO's per-kind baseline checked value by value: an all-correct group of fact answers, which the group mean gives 0, is
/// pushed up against the kind's running mean, and an "I don't know" (−1) to a known fact is pushed down. A flipped sign,
/// the current iteration's mean used where the earlier one belongs, or a kind's mean leaking into another kind fails.
/// </summary>
public class KindBaselineTests
{
    static float[] Round(float[] values) => [.. values.Select(v => MathF.Round(v, 5))];

    [Fact]
    public void An_all_correct_group_of_facts_is_pushed_up_against_the_kinds_mean_where_the_group_mean_gives_zero()
    {
        // Groups of 2, all "fact:en": [1, 1] (all correct) and [1, −1]. The first iteration's baseline is the kind's own
        // mean, (1 + 1 + 1 − 1) / 4 = 0.5 → advantages r − 0.5. The group mean gives the first group 0 and the second ±0.707057.
        float[] rewards = [1, 1, 1, -1];
        string[] kinds = ["fact:en", "fact:en", "fact:en", "fact:en"];
        Assert.Equal([0f, 0, 0.70706f, -0.70706f], Round(new KindBaseline().Advantages(rewards, 2, kinds, mix: 0)));
        Assert.Equal([0.5f, 0.5f, 0.5f, -1.5f], Round(new KindBaseline().Advantages(rewards, 2, kinds, mix: 1)));
        // Half and half: 0.5 × group + 0.5 × (r − 0.5).
        Assert.Equal([0.25f, 0.25f, 0.60353f, -1.10353f], Round(new KindBaseline().Advantages(rewards, 2, kinds, mix: 0.5)));
    }

    [Fact]
    public void The_baseline_is_the_running_mean_of_earlier_iterations_kept_per_kind()
    {
        var baseline = new KindBaseline(decay: 0.9);
        // Iteration 1: facts [1, 1, 1, −1] (mean 0.5), unknown lands [−1, −1] (mean −1).
        baseline.Advantages([1, 1, 1, -1, -1, -1], 2, ["fact:en", "fact:en", "fact:en", "fact:en", "unknown:en", "unknown:en"], mix: 1);
        Assert.Equal(0.5, baseline.Mean("fact:en")!.Value, 6);
        Assert.Equal(-1, baseline.Mean("unknown:en")!.Value, 6);
        Assert.Null(baseline.Mean("fact:zh"));
        // Iteration 2: a fact group answered "I don't know" twice (−1, −1) is measured against 0.5, not against its own
        // mean (which would give 0) nor this iteration's fact mean (−1 here: 0); the unknown land answered "I don't know"
        // (+1) against −1; a row without a kind keeps its group advantage (±0.707057).
        var a = baseline.Advantages([-1, -1, 1, 1, 2, 0], 2, ["fact:en", "fact:en", "unknown:en", "unknown:en", null, null], mix: 1);
        Assert.Equal([-1.5f, -1.5f, 2f, 2f, 0.70706f, -0.70706f], Round(a));
        // Means move a tenth of the way: 0.9 × 0.5 + 0.1 × (−1) = 0.35; 0.9 × (−1) + 0.1 × 1 = −0.8.
        Assert.Equal(0.35, baseline.Mean("fact:en")!.Value, 6);
        Assert.Equal(-0.8, baseline.Mean("unknown:en")!.Value, 6);
        // Iteration 3: an all-correct fact group now sits 0.65 above the baseline.
        Assert.Equal([0.65f, 0.65f], Round(baseline.Advantages([1, 1], 2, ["fact:en", "fact:en"], mix: 1)));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new KindBaseline().Advantages([1, 0], 2, ["fact:en"], mix: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindBaseline().Advantages([1, 0], 2, ["fact:en", "fact:en"], mix: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindBaseline(decay: 1));
        Assert.Throws<SharpLM.Core.SharpLmException>(() => new RlOptions("m", ["p"], "exact", "o", KindBaseline: -0.1).Validate());
    }
}

using SharpLM.Alignment;
using static TorchSharp.torch;

namespace SharpLM.Tests.Alignment;

public class LossTests
{
    static Tensor T(params float[] x) => tensor(x);

    static void Near(double expected, Tensor actual, int digits = 5) => Assert.Equal(expected, actual.item<float>(), digits);

    [Fact]
    public void Bradley_terry_matches_hand_computed_value()
    {
        // diffs r_c − r_r = [1, −1]: −log σ(1) = ln(1 + e⁻¹) = 0.313262, −log σ(−1) = ln(1 + e) = 1.313262; mean 0.813262.
        Near(0.813262, PreferenceLosses.BradleyTerry(T(2, 0), T(1, 1)));
    }

    [Fact]
    public void Dpo_matches_hand_computed_value_and_reports_implicit_rewards()
    {
        // β = 0.5. chosen: 0.5·([−1, −2] − [−2, −2]) = [0.5, 0]; rejected: 0.5·([−3, −1] − [−2, −2]) = [−0.5, 0.5].
        // margins [1, −0.5]: (ln(1 + e⁻¹) + ln(1 + e^0.5)) / 2 = (0.313262 + 0.974077) / 2 = 0.643670.
        var terms = PreferenceLosses.Dpo(T(-1, -2), T(-3, -1), T(-2, -2), T(-2, -2), beta: 0.5);
        Near(0.643670, terms.Loss);
        Assert.Equal([0.5f, 0f], terms.ChosenRewards.data<float>().ToArray());
        Assert.Equal([-0.5f, 0.5f], terms.RejectedRewards.data<float>().ToArray());
    }

    [Fact]
    public void Ppo_clipped_surrogate_matches_hand_computed_value()
    {
        // ratios [1.5, 0.5, 1.1] (a 4th token masked out), A = [1, 1, −2], ε = 0.2:
        // min(1.5, 1.2)·… = 1.2; min(0.5, 0.8) = 0.5; min(−2.2, −2.2) = −2.2 → mean −0.5/3, loss +0.166667.
        // |ρ − 1| > 0.2 for the first two → clip fraction 2/3.
        var logp = T(MathF.Log(1.5f), MathF.Log(0.5f), MathF.Log(1.1f), 5f);
        var terms = PpoLosses.Policy(logp, zeros(4), T(1, 1, -2, 100), T(1, 1, 1, 0), clip: 0.2);
        Near(0.166667, terms.Loss);
        Near(2.0 / 3, terms.ClipFraction);
    }

    [Fact]
    public void Clipped_value_loss_matches_hand_computed_value()
    {
        // t0: V=1, old 0.5, R=0: (1−0)² = 1 vs clipped V 0.7 → 0.49; max 1.
        // t1: V=0.3, old 0, R=1: (0.3−1)² = 0.49 vs clipped V 0.2 → 0.64; max 0.64.  ½·mean(1, 0.64) = 0.41.
        Near(0.41, PpoLosses.Value(T(1f, 0.3f), T(0.5f, 0f), T(0f, 1f), T(1, 1), clip: 0.2));
    }

    [Fact]
    public void Gae_on_a_known_trajectory()
    {
        // γ = 0.9, λ = 0.8, rewards [0, 0, 1], values [0.5, 0.6, 0.7], V after the end = 0.
        // t2: δ = 1 − 0.7 = 0.3, A = 0.3, R = 1.0
        // t1: δ = 0.9·0.7 − 0.6 = 0.03, A = 0.03 + 0.72·0.3 = 0.246, R = 0.846
        // t0: δ = 0.9·0.6 − 0.5 = 0.04, A = 0.04 + 0.72·0.246 = 0.21712, R = 0.71712
        var (adv, ret) = Gae.Compute([0f, 0f, 1f], [0.5f, 0.6f, 0.7f], gamma: 0.9, lambda: 0.8);
        Assert.Equal([0.21712, 0.246, 0.3], adv.Select(a => Math.Round(a, 5)));
        Assert.Equal([0.71712, 0.846, 1.0], ret.Select(r => Math.Round(r, 5)));
    }

    [Fact]
    public void Kl_estimators_match_hand_computed_values()
    {
        // log π = ln 0.5, log π_ref = 0: k1 = −0.693147; k3 = e^{0.693147} − 0.693147 − 1 = 2 − 1.693147 = 0.306853.
        var logp = T(MathF.Log(0.5f));
        Near(-0.693147, PpoLosses.KlK1(logp, zeros(1)).sum());
        Near(0.306853, PpoLosses.KlK3(logp, zeros(1)).sum());
        Near(0, PpoLosses.KlK3(T(-1.3f), T(-1.3f)).sum());
    }

    [Fact]
    public void Group_normalisation_compares_answers_to_the_same_prompt()
    {
        // group [1, 0, 0, 1]: mean 0.5, sample std √(4·0.25/3) = 0.577350 → ±0.5/(0.577350 + 1e-4) = ±0.865875.
        // group [2, 2, 2, 2]: no spread → 0.   group [3, 1]: mean 2, std √2 → ±1/(1.414214 + 1e-4) = ±0.707057.
        var a = GroupAdvantages.Normalize([1f, 0f, 0f, 1f, 2f, 2f, 2f, 2f], groupSize: 4);
        Assert.Equal([0.86588, -0.86588, -0.86588, 0.86588, 0, 0, 0, 0], a.Select(x => Math.Round(x, 5)));
        var b = GroupAdvantages.Normalize([3f, 1f], groupSize: 2);
        Assert.Equal([0.70706, -0.70706], b.Select(x => Math.Round(x, 5)));
    }

    [Fact]
    public void Adaptive_kl_coefficient_moves_towards_the_target()
    {
        // β 0.1, target 6, horizon 100, 16 rollouts. KL 9: error clip(9/6 − 1) = 0.2 → 0.1·(1 + 0.2·0.16) = 0.1032.
        // KL 5.4: error −0.1 → 0.1032·(1 − 0.1·0.16) = 0.1015488. Without a target β stays.
        var adaptive = new KlController(0.1, target: 6, horizon: 100);
        adaptive.Update(9, 16);
        Assert.Equal(0.1032, adaptive.Coef, 10);
        adaptive.Update(5.4, 16);
        Assert.Equal(0.1015488, adaptive.Coef, 10);
        var fixedCoef = new KlController(0.1, target: null, horizon: 100);
        fixedCoef.Update(9, 16);
        Assert.Equal(0.1, fixedCoef.Coef);
    }
}

using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>The clipped policy objective as a loss, and the fraction of tokens whose ratio left [1−ε, 1+ε].</summary>
public sealed record PolicyTerms(Tensor Loss, Tensor ClipFraction);

/// <summary>
/// PPO pieces over response tokens (B, T) with a 0/1 float mask of real response tokens. All means are over masked tokens.
/// </summary>
public static class PpoLosses
{
    /// <summary>Σ x·mask / Σ mask.</summary>
    public static Tensor MaskedMean(Tensor x, Tensor mask) => (x * mask).sum() / mask.sum().clamp_min(1);

    /// <summary>
    /// Clipped surrogate (Schulman et al. 2017): −mean min(ρ·A, clip(ρ, 1−ε, 1+ε)·A), ρ = exp(log π − log π_old).
    /// </summary>
    public static PolicyTerms Policy(Tensor logProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask, double clip)
    {
        var ratio = (logProbs - oldLogProbs).exp();                                      // (B, T)
        var unclipped = ratio * advantages;
        var clipped = ratio.clamp(1 - clip, 1 + clip) * advantages;
        var loss = -MaskedMean(minimum(unclipped, clipped), mask);
        var fraction = MaskedMean((ratio - 1).abs().gt(clip).to_type(ScalarType.Float32), mask);
        return new PolicyTerms(loss, fraction.detach());
    }

    /// <summary>
    /// Clipped value loss: ½·mean max((V − R)², (clip(V, V_old − ε, V_old + ε) − R)²), so one batch cannot move the
    /// value estimate far from the one its advantages were computed with.
    /// </summary>
    public static Tensor Value(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, double clip)
    {
        var clipped = oldValues + (values - oldValues).clamp(-clip, clip);               // (B, T)
        return 0.5 * MaskedMean(maximum((values - returns).square(), (clipped - returns).square()), mask);
    }

    /// <summary>Per-token KL estimate log π − log π_ref (k1): its sampled mean is the sequence KL; the PPO reward penalty.</summary>
    public static Tensor KlK1(Tensor logProbs, Tensor refLogProbs) => logProbs - refLogProbs;

    /// <summary>
    /// Per-token KL estimate exp(ref − π) − (ref − π) − 1 (k3, Schulman's unbiased low-variance estimator, always ≥ 0);
    /// GRPO adds β times it to the loss.
    /// </summary>
    public static Tensor KlK3(Tensor logProbs, Tensor refLogProbs)
    {
        var d = refLogProbs - logProbs;
        return d.exp() - d - 1;
    }
}

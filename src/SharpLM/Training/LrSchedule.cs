namespace SharpLM.Training;

/// <summary>How the learning rate falls after warmup.</summary>
public enum ScheduleKind
{
    /// <summary>Half a cosine from the peak down to the minimum (nanoGPT).</summary>
    Cosine,
    /// <summary>Warmup-stable-decay: hold the peak, then fall linearly over the last <see cref="LrSchedule.DecayFraction"/>.</summary>
    WarmupStableDecay,
}

/// <summary>
/// Learning rate by step: linear warmup to <paramref name="MaxLr"/> over <paramref name="WarmupSteps"/>, then a decay to
/// <paramref name="MinLr"/> that ends at <paramref name="DecaySteps"/>, then <paramref name="MinLr"/>. A pure function of the
/// step, so a resumed run gets exactly the rate the uninterrupted run would have had.
/// </summary>
public sealed record LrSchedule(
    double MaxLr,
    double MinLr,
    long WarmupSteps,
    long DecaySteps,
    ScheduleKind Kind = ScheduleKind.Cosine,
    double DecayFraction = 0.2)
{
    /// <summary>The rate for 0-based <paramref name="step"/>.</summary>
    public double At(long step)
    {
        // nanoGPT's warmup: (step + 1) / (warmup + 1) so the first step is not at zero.
        if (step < WarmupSteps) return MaxLr * (step + 1) / (WarmupSteps + 1);
        if (step >= DecaySteps) return MinLr;
        if (Kind == ScheduleKind.Cosine)
        {
            double ratio = (double)(step - WarmupSteps) / Math.Max(1, DecaySteps - WarmupSteps);
            return MinLr + 0.5 * (1 + Math.Cos(Math.PI * ratio)) * (MaxLr - MinLr);
        }
        long decayStart = DecaySteps - (long)Math.Round(DecayFraction * (DecaySteps - WarmupSteps));
        if (step < decayStart) return MaxLr;
        double fall = (double)(step - decayStart) / Math.Max(1, DecaySteps - decayStart);
        return MaxLr + fall * (MinLr - MaxLr);
    }

    /// <summary>
    /// The step a schedule reads when a time limit may stop training before <paramref name="totalSteps"/>: the step itself
    /// or, when the clock is further along (<paramref name="elapsed"/> of <paramref name="budget"/> seconds), the step that
    /// share of the run would be, so the rate decays to its minimum at the step that actually runs last. No budget: the step.
    /// </summary>
    public static long ClockStep(long step, long totalSteps, double elapsed, double? budget) => budget is { } b && b > 0
        ? Math.Max(step, Math.Min(totalSteps - 1, (long)(elapsed / b * totalSteps)))
        : step;
}

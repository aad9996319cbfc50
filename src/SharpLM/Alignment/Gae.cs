namespace SharpLM.Alignment;

/// <summary>Generalised advantage estimation (Schulman et al. 2016) over one response; the episode ends after the last token.</summary>
public static class Gae
{
    /// <summary>
    /// δ_t = r_t + γ·V_{t+1} − V_t (V after the end is 0), A_t = δ_t + γλ·A_{t+1}, returns R_t = A_t + V_t.
    /// </summary>
    public static (float[] Advantages, float[] Returns) Compute(ReadOnlySpan<float> rewards, ReadOnlySpan<float> values, double gamma, double lambda)
    {
        if (rewards.Length != values.Length) throw new ArgumentException($"{rewards.Length} rewards but {values.Length} values");
        int n = rewards.Length;
        var advantages = new float[n];
        var returns = new float[n];
        double next = 0, running = 0;
        for (int t = n - 1; t >= 0; t--)
        {
            double delta = rewards[t] + gamma * next - values[t];
            running = delta + gamma * lambda * running;
            advantages[t] = (float)running;
            returns[t] = (float)(running + values[t]);
            next = values[t];
        }
        return (advantages, returns);
    }
}

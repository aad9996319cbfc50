namespace SharpLM.Alignment;

/// <summary>
/// PPO's per-token rewards and GAE advantages for a batch laid out as rows of <c>width</c> positions (a (B, T−1) tensor
/// flattened): row b's answer occupies positions <c>start[b] .. start[b] + length[b] − 1</c>, and everything else is prompt
/// or padding, which gets no reward, no advantage and no return.
/// </summary>
public static class PpoAdvantages
{
    /// <summary>
    /// Per-token reward −β·(log π − log π_ref) on every answer token, plus the answer's score on its last real token (never
    /// on a pad position); GAE over each answer; advantages then whitened over all answer tokens.
    /// </summary>
    public static (float[] Advantages, float[] Returns) Compute(float[] kl, float[] values, int width, int[] start, int[] length,
        float[] scores, double beta, double gamma, double lambda)
    {
        var advantages = new float[kl.Length];
        var returns = new float[kl.Length];
        for (int b = 0; b < scores.Length; b++)
        {
            int at = b * width + start[b], n = length[b];
            if (n == 0) continue;
            var rewards = new float[n];
            for (int t = 0; t < n; t++) rewards[t] = (float)(-beta * kl[at + t]);
            rewards[n - 1] += scores[b];
            var (a, r) = Gae.Compute(rewards, values.AsSpan(at, n), gamma, lambda);
            a.CopyTo(advantages, at);
            r.CopyTo(returns, at);
        }
        Whiten(advantages, start, length, width);
        return (advantages, returns);
    }

    /// <summary>Advantages over answer tokens to mean 0 and standard deviation 1; other positions stay 0.</summary>
    static void Whiten(float[] advantages, int[] start, int[] length, int width)
    {
        double sum = 0, sq = 0;
        long count = 0;
        for (int b = 0; b < start.Length; b++)
            for (int t = 0; t < length[b]; t++)
            {
                double a = advantages[b * width + start[b] + t];
                sum += a;
                sq += a * a;
                count++;
            }
        if (count == 0) return;
        double mean = sum / count, std = Math.Sqrt(Math.Max(0, sq / count - mean * mean));
        for (int b = 0; b < start.Length; b++)
            for (int t = 0; t < length[b]; t++)
            {
                int i = b * width + start[b] + t;
                advantages[i] = (float)((advantages[i] - mean) / (std + 1e-8));
            }
    }
}

namespace SharpLM.Evaluation;

/// <summary>A share with its 95 % bootstrap interval and the number of items it was measured on.</summary>
public sealed record Rate(double Value, double Low, double High, int Items)
{
    public static Rate Empty { get; } = new(double.NaN, double.NaN, double.NaN, 0);
}

/// <summary>
/// Percentile bootstrap intervals for shares, resampling clusters (facts, unknown lands, requests) rather than items: the
/// several wordings of one fact are not independent, so resampling items would make the interval too narrow.
/// </summary>
public static class Bootstrap
{
    /// <summary>The share of hits and its 95 % interval from <paramref name="resamples"/> cluster resamples (seeded: same
    /// input, same interval).</summary>
    public static Rate Share(IReadOnlyList<(string Cluster, bool Hit)> rows, int resamples = 2000, int seed = 20261130)
    {
        if (rows.Count == 0) return Rate.Empty;
        var clusters = rows.GroupBy(r => r.Cluster).Select(g => (Hits: g.Count(r => r.Hit), N: g.Count())).ToArray();
        double value = (double)rows.Count(r => r.Hit) / rows.Count;
        var rng = new Random(seed);
        var shares = new double[resamples];
        for (int b = 0; b < resamples; b++)
        {
            long hits = 0, n = 0;
            for (int k = 0; k < clusters.Length; k++)
            {
                var c = clusters[rng.Next(clusters.Length)];
                hits += c.Hits;
                n += c.N;
            }
            shares[b] = (double)hits / n;
        }
        Array.Sort(shares);
        return new Rate(value, Percentile(shares, 0.025), Percentile(shares, 0.975), rows.Count);
    }

    /// <summary>Linear interpolation between the order statistics of a sorted array.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

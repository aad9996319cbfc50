namespace SharpLM.Evaluation;

/// <summary>One way to cut a score: take the behaviour on every item scoring at least <paramref name="Threshold"/>.</summary>
/// <param name="TruePositiveRate">Share of the items that call for the behaviour which get it.</param>
/// <param name="FalsePositiveRate">Share of the items that do not call for it which get it anyway.</param>
public sealed record CurvePoint(double Threshold, double TruePositiveRate, double FalsePositiveRate);

/// <summary>
/// The ROC curve of a score that should be high on items calling for a behaviour (positives: lands that exist nowhere,
/// harmful requests) and low on items that do not (negatives: facts the model read in pretraining, harmless look-alikes).
/// A policy that takes the behaviour whenever the score clears a threshold sits on this curve: moving the threshold
/// trades one error for the other, and only a better-separating score lifts the curve. Points between two thresholds
/// are reachable by choosing between them at random, so rates between points are read off the straight segment.
/// </summary>
public sealed class DecisionCurve
{
    DecisionCurve(IReadOnlyList<CurvePoint> points, int positives, int negatives)
    {
        Points = points;
        Positives = positives;
        Negatives = negatives;
    }

    /// <summary>From (0, 0) at +∞ to (1, 1), one point per distinct score, false-positive rate never falling.</summary>
    public IReadOnlyList<CurvePoint> Points { get; }

    public int Positives { get; }
    public int Negatives { get; }

    public static DecisionCurve Of(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0)
            throw new ArgumentException($"a decision curve needs both kinds of item ({positives.Count} positives, {negatives.Count} negatives)");
        if (positives.Concat(negatives).Any(double.IsNaN)) throw new ArgumentException("a score is NaN");
        var scored = positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false)))
            .OrderByDescending(x => x.Score).ToArray();
        var points = new List<CurvePoint> { new(double.PositiveInfinity, 0, 0) };
        int tp = 0, fp = 0;
        for (int i = 0; i < scored.Length; i++)
        {
            if (scored[i].Positive) tp++; else fp++;
            // Equal scores are one threshold: a cut cannot separate them.
            if (i + 1 < scored.Length && scored[i + 1].Score == scored[i].Score) continue;
            points.Add(new CurvePoint(scored[i].Score, (double)tp / positives.Count, (double)fp / negatives.Count));
        }
        return new DecisionCurve(points, positives.Count, negatives.Count);
    }

    /// <summary>Area under the curve: the chance that a random positive outscores a random negative (ties count half).</summary>
    public double Auc
    {
        get
        {
            double area = 0;
            for (int i = 1; i < Points.Count; i++)
                area += (Points[i].FalsePositiveRate - Points[i - 1].FalsePositiveRate)
                        * (Points[i].TruePositiveRate + Points[i - 1].TruePositiveRate) / 2;
            return area;
        }
    }

    /// <summary>The highest true-positive rate reachable while the false-positive rate stays at or below <paramref name="falsePositiveRate"/>.</summary>
    public double TruePositiveRateAt(double falsePositiveRate)
    {
        for (int i = 1; i < Points.Count; i++)
        {
            var (a, b) = (Points[i - 1], Points[i]);
            if (b.FalsePositiveRate <= falsePositiveRate) continue;
            if (b.FalsePositiveRate == a.FalsePositiveRate) return a.TruePositiveRate;
            double t = (falsePositiveRate - a.FalsePositiveRate) / (b.FalsePositiveRate - a.FalsePositiveRate);
            return a.TruePositiveRate + t * (b.TruePositiveRate - a.TruePositiveRate);
        }
        return 1;
    }

    /// <summary>The lowest false-positive rate at which the true-positive rate reaches <paramref name="truePositiveRate"/>.</summary>
    public double FalsePositiveRateAt(double truePositiveRate)
    {
        for (int i = 1; i < Points.Count; i++)
        {
            var (a, b) = (Points[i - 1], Points[i]);
            if (b.TruePositiveRate < truePositiveRate) continue;
            if (b.TruePositiveRate == a.TruePositiveRate) return a.FalsePositiveRate;
            double t = (truePositiveRate - a.TruePositiveRate) / (b.TruePositiveRate - a.TruePositiveRate);
            return a.FalsePositiveRate + t * (b.FalsePositiveRate - a.FalsePositiveRate);
        }
        return 1;
    }
}

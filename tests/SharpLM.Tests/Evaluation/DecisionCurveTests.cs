using SharpLM.Evaluation;

namespace SharpLM.Tests.Evaluation;

public class DecisionCurveTests
{
    // Positives 0.9, 0.4, 0.4; negatives 0.8, 0.4, 0.2, 0.1. Cutting from the top: 0.9 (+) → (0, 1/3); 0.8 (−) → (1/4, 1/3);
    // 0.4 (+, +, −, one threshold) → (1/2, 1); 0.2 → (3/4, 1); 0.1 → (1, 1).
    static readonly DecisionCurve Curve = DecisionCurve.Of([0.9, 0.4, 0.4], [0.8, 0.4, 0.2, 0.1]);

    [Fact]
    public void Points_walk_down_the_thresholds_with_ties_as_one_cut()
    {
        Assert.Equal([(0.0, 0.0), (0.0, 1 / 3.0), (0.25, 1 / 3.0), (0.5, 1.0), (0.75, 1.0), (1.0, 1.0)],
            Curve.Points.Select(p => (p.FalsePositiveRate, p.TruePositiveRate)));
        Assert.Equal([double.PositiveInfinity, 0.9, 0.8, 0.4, 0.2, 0.1], Curve.Points.Select(p => p.Threshold));
    }

    [Fact]
    public void Area_is_the_chance_a_positive_outscores_a_negative_with_ties_counting_half()
    {
        // 0.9 beats all four (4); each 0.4 beats 0.2 and 0.1 and ties 0.4 (2.5): 9 of 12 pairs.
        Assert.Equal(0.75, Curve.Auc, 12);
        Assert.Equal(0.5, DecisionCurve.Of([1.0], [1.0]).Auc, 12);
        Assert.Equal(1.0, DecisionCurve.Of([3.0, 2.0], [1.0, 0.0]).Auc, 12);
        Assert.Equal(0.0, DecisionCurve.Of([0.0], [1.0, 2.0]).Auc, 12);
    }

    [Fact]
    public void Rates_between_two_cuts_are_read_off_the_segment_joining_them()
    {
        Assert.Equal(1 / 3.0, Curve.TruePositiveRateAt(0.0), 12);
        Assert.Equal(1 / 3.0, Curve.TruePositiveRateAt(0.25), 12);
        Assert.Equal(2 / 3.0, Curve.TruePositiveRateAt(0.375), 12);     // halfway from (1/4, 1/3) to (1/2, 1)
        Assert.Equal(1.0, Curve.TruePositiveRateAt(0.5), 12);
        Assert.Equal(0.375, Curve.FalsePositiveRateAt(2 / 3.0), 12);
        Assert.Equal(0.5, Curve.FalsePositiveRateAt(1.0), 12);
        Assert.Equal(0.0, Curve.FalsePositiveRateAt(1 / 3.0), 12);
        Assert.Equal(0.0, Curve.FalsePositiveRateAt(0.0), 12);
    }

    [Fact]
    public void A_side_without_items_or_a_NaN_score_is_refused()
    {
        Assert.Throws<ArgumentException>(() => DecisionCurve.Of([], [1.0]));
        Assert.Throws<ArgumentException>(() => DecisionCurve.Of([1.0], []));
        Assert.Throws<ArgumentException>(() => DecisionCurve.Of([double.NaN], [1.0]));
    }
}

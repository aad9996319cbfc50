using SharpLM.Evaluation;

namespace SharpLM.Tests.Evaluation;

public class LinearProbeTests
{
    /// <summary>Rows of <paramref name="dims"/> standard-normal features; when <paramref name="signal"/> is set, the label
    /// shifts feature 3 by ±signal. Feature 0 is constant. Groups of three rows share a label, like a fact's wordings.</summary>
    static (List<float[]> X, List<bool> Y, List<string> G) Data(int seed, int rows, int dims, double signal)
    {
        var rng = new Random(seed);
        var (x, y, g) = (new List<float[]>(), new List<bool>(), new List<string>());
        for (int i = 0; i < rows; i++)
        {
            bool label = i / 3 % 3 == 0;                                  // a third positive, as classes are unbalanced in use
            var row = new float[dims];
            for (int j = 1; j < dims; j++) row[j] = (float)Normal(rng);
            row[0] = 5;
            row[3] += (float)(label ? signal : -signal);
            x.Add(row);
            y.Add(label);
            g.Add($"group{i / 3}");
        }
        return (x, y, g);
    }

    static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void A_probe_finds_a_direction_that_separates_new_rows()
    {
        var (x, y, g) = Data(seed: 1, rows: 120, dims: 20, signal: 2.0);
        var probe = LinearProbe.Fit(x, y, g);
        var (tx, ty, _) = Data(seed: 2, rows: 120, dims: 20, signal: 2.0);
        var curve = LinearProbe.Curve(probe.Score(tx), ty);
        Assert.True(curve.Auc > 0.95, $"AUC {curve.Auc}");
        Assert.Contains(probe.Penalty, LinearProbe.Penalties);
    }

    [Fact]
    public void On_noise_neither_a_fitted_nor_a_cross_validated_probe_separates()
    {
        var (x, y, g) = Data(seed: 3, rows: 120, dims: 100, signal: 0);
        var (tx, ty, _) = Data(seed: 4, rows: 120, dims: 100, signal: 0);
        double transfer = LinearProbe.Curve(LinearProbe.Fit(x, y, g).Score(tx), ty).Auc;
        double cross = LinearProbe.Curve(LinearProbe.CrossValidate(x, y, g)!, y).Auc;
        Assert.InRange(transfer, 0.3, 0.7);
        Assert.InRange(cross, 0.3, 0.7);
        // The same rows fitted without holding any out look separable: what cross-validation guards against.
        Assert.True(LinearProbe.Curve(LinearProbe.FitWith(x, y, 0.001).Score(x), y).Auc > 0.9);
    }

    [Fact]
    public void Cross_validation_needs_both_classes_in_training_and_the_same_rows_give_the_same_scores()
    {
        var (x, y, g) = Data(seed: 5, rows: 60, dims: 8, signal: 1.5);
        var a = LinearProbe.CrossValidate(x, y, g)!;
        var b = LinearProbe.CrossValidate(x, y, g)!;
        Assert.Equal(a, b, (u, v) => Math.Abs(u - v) < 1e-9);               // to rounding: libtorch's threads may sum in another order
        Assert.True(LinearProbe.Curve(a, y).Auc > 0.8);
        // A fold whose training rows hold one class only: two groups, one per class, cannot be cross-validated in two folds.
        Assert.Null(LinearProbe.CrossValidate([[1f], [2f]], [true, false], ["a", "b"], folds: 2));
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => LinearProbe.FitWith([[1f], [2f]], [true], 0.1));
        Assert.Throws<ArgumentException>(() => LinearProbe.FitWith([[1f], [2f]], [true, true], 0.1));
        Assert.Throws<ArgumentException>(() => LinearProbe.FitWith([[1f], [2f, 3f]], [true, false], 0.1));
        var probe = LinearProbe.FitWith([[1f], [2f]], [true, false], 0.1);
        Assert.Throws<ArgumentException>(() => probe.Score([[1f, 2f]]));
    }
}

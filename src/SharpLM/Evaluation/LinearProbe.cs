using static TorchSharp.torch;

namespace SharpLM.Evaluation;

/// <summary>
/// A linear probe: L2-regularised logistic regression on feature vectors (a model's hidden states), asking whether a
/// distinction is written in them in a form one linear read-out can use. Features are standardised on the training
/// rows, both classes weigh the same whatever their counts, and the fit is Newton's method in float64, so the same rows
/// give the same probe (to rounding: libtorch's threads may sum in another order). The penalty is picked by
/// cross-validation over groups of rows (all wordings of one fact stay on one side), on the area under the decision curve.
/// </summary>
public sealed class LinearProbe
{
    /// <summary>Strengths of the penalty tried, largest first (on the mean of the class-weighted loss).</summary>
    public static readonly IReadOnlyList<double> Penalties = [1.0, 0.1, 0.01, 0.001];

    readonly double[] _mean, _scale, _weights;    // _weights: one per feature, then the bias

    LinearProbe(double[] mean, double[] scale, double[] weights, double penalty)
    {
        _mean = mean;
        _scale = scale;
        _weights = weights;
        Penalty = penalty;
    }

    public double Penalty { get; }

    /// <summary>Fits on <paramref name="features"/> (one row each) with <paramref name="labels"/>, choosing the penalty by
    /// <paramref name="folds"/>-fold cross-validation over <paramref name="groups"/>.</summary>
    public static LinearProbe Fit(IReadOnlyList<float[]> features, IReadOnlyList<bool> labels, IReadOnlyList<string> groups,
        int folds = 4) =>
        FitWith(features, labels, BestPenalty(features, labels, groups, folds)?.Penalty ?? Penalties[0]);

    /// <summary>Scores of rows no probe saw in training: each fold scored by a probe fitted on the others, with the penalty
    /// whose folds separated best. Choosing the penalty on the same folds flatters the result a little; it is a measure of
    /// what the features hold, not of a probe to deploy. Null when some fold's training rows lack a class.</summary>
    public static double[]? CrossValidate(IReadOnlyList<float[]> features, IReadOnlyList<bool> labels,
        IReadOnlyList<string> groups, int folds = 4) =>
        BestPenalty(features, labels, groups, folds)?.Scores;

    /// <summary>The penalty whose cross-validated scores have the largest area under the curve, with those scores; null
    /// when some fold's training rows lack a class (no basis to choose).</summary>
    static (double Penalty, double[] Scores)? BestPenalty(IReadOnlyList<float[]> features, IReadOnlyList<bool> labels,
        IReadOnlyList<string> groups, int folds)
    {
        Check(features, labels);
        if (groups.Count != labels.Count) throw new ArgumentException("one group per row is needed");
        var foldOf = FoldsByGroup(groups, folds);
        (double Penalty, double[] Scores)? best = null;
        double bestAuc = double.NegativeInfinity;
        foreach (var penalty in Penalties)
        {
            var held = CrossValidatedScores(features, labels, foldOf, folds, penalty);
            if (held is null) return null;
            double auc = Curve(held, labels).Auc;
            if (auc > bestAuc + 1e-9) (best, bestAuc) = ((penalty, held), auc);
        }
        return best;
    }

    /// <summary>The probe's logit for each row: higher means more like the positive class.</summary>
    public double[] Score(IReadOnlyList<float[]> features)
    {
        var scores = new double[features.Count];
        for (int i = 0; i < features.Count; i++)
        {
            if (features[i].Length != _mean.Length)
                throw new ArgumentException($"row {i} has {features[i].Length} features; the probe was fitted on {_mean.Length}");
            double z = _weights[^1];
            for (int j = 0; j < _mean.Length; j++) z += _weights[j] * (features[i][j] - _mean[j]) / _scale[j];
            scores[i] = z;
        }
        return scores;
    }

    /// <summary>Fits with a fixed <paramref name="penalty"/>: Newton steps on the class-weighted, L2-penalised log loss.</summary>
    public static LinearProbe FitWith(IReadOnlyList<float[]> features, IReadOnlyList<bool> labels, double penalty, int maxSteps = 50)
    {
        Check(features, labels);
        int n = features.Count, d = features[0].Length;
        var mean = new double[d];
        var scale = new double[d];
        for (int j = 0; j < d; j++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++) m += features[i][j];
            m /= n;
            for (int i = 0; i < n; i++) v += (features[i][j] - m) * (features[i][j] - m);
            mean[j] = m;
            scale[j] = Math.Sqrt(v / n) is var s && s > 1e-12 ? s : 1;   // a constant feature stays 0 after centring
        }
        int positives = labels.Count(l => l);
        using var scope = NewDisposeScope();
        var rows = new double[n * (d + 1)];
        var y = new double[n];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) rows[i * (d + 1) + j] = (features[i][j] - mean[j]) / scale[j];
            rows[i * (d + 1) + d] = 1;                                                  // bias column
            y[i] = labels[i] ? 1 : 0;
            w[i] = labels[i] ? 0.5 / positives : 0.5 / (n - positives);                  // each class weighs one half
        }
        var x = tensor(rows, ScalarType.Float64).reshape(n, d + 1);
        var target = tensor(y, ScalarType.Float64);
        var weight = tensor(w, ScalarType.Float64);
        var ridge = eye(d + 1, dtype: ScalarType.Float64) * penalty;
        ridge[d, d].fill_(0.0);                                                        // the bias is not penalised
        var theta = zeros(d + 1, ScalarType.Float64);
        for (int step = 0; step < maxSteps; step++)
        {
            var p = x.matmul(theta).sigmoid();                                          // (n)
            var gradient = x.t().matmul(weight * (p - target)) + ridge.matmul(theta);  // (d+1)
            var curvature = (x * (weight * p * (1 - p)).unsqueeze(1)).t().matmul(x) + ridge;
            var move = linalg.solve(curvature, gradient);
            theta = theta - move;
            if (move.abs().max().item<double>() < 1e-8) break;
        }
        return new LinearProbe(mean, scale, theta.data<double>().ToArray(), penalty);
    }

    static double[]? CrossValidatedScores(IReadOnlyList<float[]> features, IReadOnlyList<bool> labels, int[] foldOf, int folds,
        double penalty)
    {
        var scores = new double[labels.Count];
        for (int f = 0; f < folds; f++)
        {
            var train = Enumerable.Range(0, labels.Count).Where(i => foldOf[i] != f).ToArray();
            var test = Enumerable.Range(0, labels.Count).Where(i => foldOf[i] == f).ToArray();
            if (test.Length == 0) continue;
            if (!BothClasses(train.Select(i => labels[i]))) return null;
            var probe = FitWith([.. train.Select(i => features[i])], [.. train.Select(i => labels[i])], penalty);
            var s = probe.Score([.. test.Select(i => features[i])]);
            for (int k = 0; k < test.Length; k++) scores[test[k]] = s[k];
        }
        return scores;
    }

    /// <summary>The curve of <paramref name="scores"/> against <paramref name="labels"/> (true = positive).</summary>
    public static DecisionCurve Curve(IReadOnlyList<double> scores, IReadOnlyList<bool> labels) =>
        DecisionCurve.Of([.. scores.Where((_, i) => labels[i])], [.. scores.Where((_, i) => !labels[i])]);

    /// <summary>Groups dealt to folds in order of first appearance, round robin: deterministic, and balanced in groups.</summary>
    static int[] FoldsByGroup(IReadOnlyList<string> groups, int folds)
    {
        var fold = new Dictionary<string, int>();
        foreach (var g in groups)
            if (!fold.ContainsKey(g)) fold[g] = fold.Count % folds;
        return [.. groups.Select(g => fold[g])];
    }

    static bool BothClasses(IEnumerable<bool> labels)
    {
        bool any = false, all = true;
        foreach (var l in labels) { any |= l; all &= l; }
        return any && !all;
    }

    static void Check(IReadOnlyList<float[]> features, IReadOnlyList<bool> labels)
    {
        if (features.Count != labels.Count) throw new ArgumentException($"{features.Count} rows but {labels.Count} labels");
        if (!BothClasses(labels)) throw new ArgumentException("a probe needs rows of both classes");
        if (features.Any(f => f.Length != features[0].Length)) throw new ArgumentException("rows differ in length");
    }
}

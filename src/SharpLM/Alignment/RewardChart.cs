using ScottPlot;
using SharpLM.Training;

namespace SharpLM.Alignment;

/// <summary>reward.png: mean reward and KL to the reference per RL iteration, redrawn from metrics.jsonl at each checkpoint.</summary>
public static class RewardChart
{
    public const string FileName = "reward.png";

    public static void Render(MetricsLog metrics, string pngPath, string title) =>
        Lines(metrics, pngPath, title, "iteration", "reward", "KL", [("reward", "mean reward", false), ("kl", "KL to reference (nats)", true)]);

    /// <summary>
    /// Lines of "train" rows of metrics.jsonl over their step: each series a key, its legend and whether it reads on the
    /// right axis. Rows without the first key are skipped; nothing is drawn when no row has it.
    /// </summary>
    public static void Lines(MetricsLog metrics, string pngPath, string title, string xLabel, string leftLabel, string rightLabel,
        IReadOnlyList<(string Key, string Label, bool Right)> series)
    {
        var rows = metrics.Read().Where(r => r["kind"]?.GetValue<string>() == "train" && r[series[0].Key] is not null).ToList();
        if (rows.Count == 0) return;
        var plot = new Plot();
        double[] steps = [.. rows.Select(r => (double)r["step"]!.GetValue<long>())];
        foreach (var (key, label, right) in series)
        {
            var line = plot.Add.ScatterLine(steps, [.. rows.Select(r => r[key]!.GetValue<double>())]);
            line.LegendText = label;
            if (right) line.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.Axes.Left.Label.Text = leftLabel;
        plot.Axes.Right.Label.Text = rightLabel;
        plot.ShowLegend();
        Core.AtomicFile.WriteAllBytes(pngPath, plot.GetImageBytes(900, 500, ImageFormat.Png));
    }

    /// <summary>The per-kind figures of an RL run (rows "by_kind" of metrics.jsonl) in <see cref="ByKindFiles"/>: one line per prompt kind.</summary>
    public static void RenderByKind(MetricsLog metrics, string dir, string stage)
    {
        var rows = metrics.Read().Where(r => r["kind"]?.GetValue<string>() == "by_kind").ToList();
        if (rows.Count == 0) return;
        foreach (var (key, file) in ByKindFiles)
        {
            var plot = new Plot();
            foreach (var group in rows.GroupBy(r => r["prompt_kind"]!.GetValue<string>()))
            {
                var line = plot.Add.ScatterLine(group.Select(r => (double)r["step"]!.GetValue<long>()).ToArray(),
                    group.Select(r => r[key]!.GetValue<double>()).ToArray());
                line.LegendText = group.Key;
            }
            plot.Title($"{stage}: {key.Replace('_', ' ')} per prompt kind");
            plot.XLabel("iteration");
            plot.YLabel(key.Replace('_', ' '));
            plot.ShowLegend();
            Core.AtomicFile.WriteAllBytes(Path.Combine(dir, file), plot.GetImageBytes(900, 450, ImageFormat.Png));
        }
    }

    /// <summary>The per-kind charts: metric key and file name.</summary>
    public static readonly IReadOnlyList<(string Key, string File)> ByKindFiles =
        [("reward", "kind_reward.png"), ("kl", "kind_kl.png"), ("entropy", "kind_entropy.png"), ("response_length", "kind_length.png")];
}

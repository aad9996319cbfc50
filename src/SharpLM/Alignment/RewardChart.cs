using ScottPlot;
using SharpLM.Training;

namespace SharpLM.Alignment;

/// <summary>reward.png: mean reward and KL to the reference per RL iteration, redrawn from metrics.jsonl at each checkpoint.</summary>
public static class RewardChart
{
    public const string FileName = "reward.png";

    public static void Render(MetricsLog metrics, string pngPath, string title)
    {
        var rows = metrics.Read().Where(r => r["kind"]?.GetValue<string>() == "train" && r["reward"] is not null).ToList();
        var plot = new Plot();
        double[] steps = rows.Select(r => (double)r["step"]!.GetValue<long>()).ToArray();
        var reward = plot.Add.ScatterLine(steps, rows.Select(r => r["reward"]!.GetValue<double>()).ToArray());
        reward.LegendText = "mean reward";
        var kl = plot.Add.ScatterLine(steps, rows.Select(r => r["kl"]!.GetValue<double>()).ToArray());
        kl.LegendText = "KL to reference (nats)";
        kl.Axes.YAxis = plot.Axes.Right;
        plot.Title(title);
        plot.XLabel("iteration");
        plot.Axes.Left.Label.Text = "reward";
        plot.Axes.Right.Label.Text = "KL";
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

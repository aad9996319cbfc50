using ScottPlot;
using SharpLM.Training;

namespace SharpLM.Alignment;

/// <summary>dpo.png: the chosen and rejected answers' summed log-probabilities and implicit rewards per step.</summary>
public static class DpoChart
{
    public const string FileName = "dpo.png";

    public static void Render(MetricsLog metrics, string pngPath, string title)
    {
        var rows = metrics.Read().Where(r => r["kind"]?.GetValue<string>() == "train" && r["chosen_logp"] is not null).ToList();
        if (rows.Count == 0) return;
        var plot = new Plot();
        double[] steps = [.. rows.Select(r => (double)r["step"]!.GetValue<long>())];
        foreach (var (key, label, right) in new[] { ("chosen_logp", "chosen log p", false), ("rejected_logp", "rejected log p", false),
                     ("chosen_reward", "chosen implicit reward", true), ("rejected_reward", "rejected implicit reward", true) })
        {
            var line = plot.Add.ScatterLine(steps, [.. rows.Select(r => r[key]!.GetValue<double>())]);
            line.LegendText = label;
            if (right) line.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.Axes.Left.Label.Text = "summed log-probability";
        plot.Axes.Right.Label.Text = "β·(log π − log π_ref)";
        plot.ShowLegend();
        Core.AtomicFile.WriteAllBytes(pngPath, plot.GetImageBytes(900, 500, ImageFormat.Png));
    }
}

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
}

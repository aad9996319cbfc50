using ScottPlot;

namespace SharpLM.Training;

/// <summary>loss.png: training loss and validation loss against step, redrawn from metrics.jsonl at every evaluation.</summary>
public static class LossChart
{
    public const string FileName = "loss.png";

    /// <summary>Plots "train" records' "loss" and "eval" records' "val_loss" from <paramref name="metrics"/> into <paramref name="pngPath"/> atomically.</summary>
    public static void Render(MetricsLog metrics, string pngPath, string title = "loss")
    {
        var train = new List<(double Step, double Loss)>();
        var val = new List<(double Step, double Loss)>();
        foreach (var r in metrics.Read())
        {
            var kind = r["kind"]?.GetValue<string>();
            double step = r["step"]?.GetValue<long>() ?? 0;
            if (kind == "train" && r["loss"] is { } l) train.Add((step, l.GetValue<double>()));
            if (kind == "eval" && r["val_loss"] is { } v) val.Add((step, v.GetValue<double>()));
        }
        var plot = new Plot();
        if (train.Count > 0)
        {
            var s = plot.Add.ScatterLine(train.Select(p => p.Step).ToArray(), train.Select(p => p.Loss).ToArray());
            s.LegendText = "train";
            s.MarkerSize = 0;
        }
        if (val.Count > 0)
        {
            var s = plot.Add.ScatterLine(val.Select(p => p.Step).ToArray(), val.Select(p => p.Loss).ToArray());
            s.LegendText = "validation";
            s.MarkerSize = 5;
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("loss (nats/token)");
        plot.ShowLegend();
        var bytes = plot.GetImageBytes(900, 500, ImageFormat.Png);
        Core.AtomicFile.WriteAllBytes(pngPath, bytes);
    }
}

using ScottPlot;
using SharpLM.Core;

namespace SharpLM.Pipeline;

/// <summary>The report card's grouped bar charts: one group per stage, one bar per series, NaN bars left out.</summary>
public static class SpeedrunChart
{
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> groups,
        IReadOnlyList<(string Name, double[] Values)> series, double? yMax = null)
    {
        var plot = new Plot();
        double width = 0.8 / Math.Max(1, series.Count);
        for (int s = 0; s < series.Count; s++)
        {
            var points = Enumerable.Range(0, groups.Count).Where(g => double.IsFinite(series[s].Values[g])).ToArray();
            if (points.Length == 0) continue;
            var bars = plot.Add.Bars(points.Select(g => g + (s - (series.Count - 1) / 2.0) * width).ToArray(),
                points.Select(g => series[s].Values[g]).ToArray());
            bars.LegendText = series[s].Name;
            bars.Color = plot.Add.Palette.GetColor(s);
            foreach (var bar in bars.Bars) bar.Size = width;
        }
        plot.Axes.Bottom.SetTicks(groups.Select((_, i) => (double)i).ToArray(), [.. groups]);
        plot.Axes.Margins(bottom: 0);
        if (yMax is { } max) plot.Axes.SetLimitsY(0, max);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right); // outside the data area: bars reach the top
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(1100, 500, ImageFormat.Png));
    }
}

using SharpLM.Core;
using ScottPlot;
using SkiaSharp;

namespace SharpLM.Inspection;

/// <summary>PNG pictures of the inspection reports (ScottPlot 5), written atomically. Sizes are fixed by the arguments.</summary>
public static class Charts
{
    /// <summary>Heat maps of attention weights: every head of one layer in a grid, or the single <paramref name="head"/>.</summary>
    public static void Attention(AttentionReport report, int layer, int? head, string path, int cellWidth = 600, int cellHeight = 560)
    {
        int li = Array.IndexOf(report.Layers, layer);
        if (li < 0) throw new SharpLmException($"layer {layer} is not in this report (layers {string.Join(", ", report.Layers)})");
        if (head is { } h && (h < 0 || h >= report.Heads))
            throw new SharpLmException($"--head {h} is out of range: the model has heads 0..{report.Heads - 1}");
        int[] heads = head is { } one ? [one] : Enumerable.Range(0, report.Heads).ToArray();
        int columns = (int)Math.Ceiling(Math.Sqrt(heads.Length)), rows = (heads.Length + columns - 1) / columns;  // near-square grid
        var labels = Labels(report.Tokens, report.Ids);
        var plots = heads.Select(hd => AttentionPlot(report.Weights[li][hd], labels, $"layer {layer}, head {hd}")).ToArray();
        WriteGrid(path, plots, columns, rows, cellWidth, cellHeight);
    }

    static Plot AttentionPlot(float[][] weights, string[] labels, string title)
    {
        int T = weights.Length;
        var data = new double[T, T];
        for (int q = 0; q < T; q++)
            for (int k = 0; k < T; k++) data[q, k] = weights[q][k];
        var plot = NewPlot(title, title);
        var heatmap = plot.Add.Heatmap(data);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (q, k) centred on (k, T−1−q): Position names the centres of the corner cells.
        heatmap.Position = new CoordinateRect(0, Math.Max(T - 1, 1e-3), 0, Math.Max(T - 1, 1e-3));
        plot.Axes.SetLimits(-0.5, T - 0.5, -0.5, T - 0.5);
        plot.Add.ColorBar(heatmap);
        var positions = Enumerable.Range(0, T).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Axes.Left.SetTicks(positions.Select(p => T - 1 - p).ToArray(), labels);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.XLabel("key (attended to)");
        plot.YLabel("query");
        return plot;
    }

    /// <summary>A line per sentence pair: cosine similarity of the word's vectors at each layer.</summary>
    public static void Context(ContextReport report, string path, int width = 800, int height = 500)
    {
        var token = report.Sentences[0];
        var plot = NewPlot($"'{report.Word}' in different contexts: cosine similarity per layer",
            $"token #{token.TokenId} in different contexts: cosine similarity per layer");
        string Name(int i) => ChartFont.CanDraw(report.Sentences[i].Sentence) ? Short(report.Sentences[i].Sentence) : $"sentence {i}";
        var xs = Enumerable.Range(0, report.LayerNames.Length).Select(i => (double)i).ToArray();
        foreach (var pair in report.Pairs)
        {
            var line = plot.Add.Scatter(xs, pair.CosineByLayer);
            line.LegendText = $"{Name(pair.A)} ↔ {Name(pair.B)}";
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }
        plot.Axes.Bottom.SetTicks(xs, report.LayerNames);
        plot.Axes.SetLimitsY(Math.Min(0, report.Pairs.Min(p => p.CosineByLayer.Min())) - 0.05, 1.05);
        plot.XLabel("layer (residual stream after it)");
        plot.YLabel("cosine similarity");
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        Write(path, plot, width, height);
    }

    /// <summary>Grouped bars for the top tokens: probability at T=1, at the chosen temperature, after top-k and after top-p.</summary>
    public static void Next(NextTokenReport report, string path, int width = 900, int height = 500)
    {
        var plot = NewPlot($"next token after \"{Short(report.Text)}\"", "next token");
        (string Name, Func<NextTokenRow, double> Value)[] series =
        [
            ("T = 1", r => r.Probability),
            ($"T = {report.Temperature:0.##}", r => r.Tempered),
            ($"top-k {report.TopKLimit}", r => r.TopK),
            ($"top-p {report.TopPLimit:0.##}", r => r.TopP),
        ];
        const double barWidth = 0.2;
        for (int s = 0; s < series.Length; s++)
        {
            var positions = report.Rows.Select((_, i) => i + (s - 1.5) * barWidth).ToArray();
            var bars = plot.Add.Bars(positions, report.Rows.Select(series[s].Value).ToArray());
            bars.LegendText = series[s].Name;
            foreach (var bar in bars.Bars) bar.Size = barWidth;
        }
        plot.Axes.Bottom.SetTicks(report.Rows.Select((_, i) => (double)i).ToArray(),
            Labels(report.Rows.Select(r => r.Token).ToArray(), report.Rows.Select(r => r.Id).ToArray()));
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("probability");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        Write(path, plot, width, height);
    }

    /// <summary>One bar per displayed token: how surprised the model was by it, in bits.</summary>
    public static void Tokens(TokensReport report, string path, int width = 900, int height = 420)
    {
        var plot = NewPlot($"surprisal of each token in \"{Short(report.Text)}\"", "surprisal of each token");
        var rows = report.Rows;
        plot.Add.Bars(rows.Select(r => r.Surprisal ?? 0).ToArray());
        plot.Axes.Bottom.SetTicks(rows.Select((_, i) => (double)i).ToArray(),
            Labels(rows.Select(r => Inspector.Visible(r.Text)).ToArray(), rows.Select(r => r.Ids[0]).ToArray()));
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("surprisal (bits)");
        Write(path, plot, width, height);
    }

    /// <summary>Horizontal bars: the word's nearest tokens by cosine similarity of static embeddings.</summary>
    public static void Embedding(EmbeddingReport report, string path, int width = 700, int height = 420)
    {
        var plot = NewPlot($"nearest tokens to '{report.Word}' (embedding cosine)", "nearest tokens (embedding cosine)");
        var nearest = report.Nearest;
        var bars = plot.Add.Bars(nearest.Select(n => n.Score).ToArray());
        bars.Horizontal = true;
        var positions = nearest.Select((_, i) => (double)i).ToArray();
        plot.Axes.Left.SetTicks(positions, Labels(nearest.Select(n => n.Text).ToArray(), nearest.Select(n => n.Id).ToArray()));
        plot.Axes.InvertY();                                                                     // the nearest on top
        plot.XLabel("cosine similarity");
        Write(path, plot, width, height);
    }

    /// <summary>A plot in the CJK font when there is one, titled <paramref name="title"/> or, if the font cannot draw it, <paramref name="plainTitle"/>.</summary>
    static Plot NewPlot(string title, string plainTitle)
    {
        var plot = new Plot();
        if (ChartFont.CjkFont is { } font) plot.Font.Set(font);
        plot.Title(ChartFont.CanDraw(title) ? title : plainTitle);
        return plot;
    }

    /// <summary>
    /// One panel per decision and language: the decision curves (the model's own readiness, the probes), the target's
    /// corner (shaded: false-positive rate at most the limit, true-positive rate at least the goal) and greedy decoding's
    /// point.
    /// </summary>
    public static void Decisions(DecisionReport report, string path, int cellWidth = 520, int cellHeight = 480)
    {
        var plots = report.Rows.Select(row =>
        {
            var plot = NewPlot($"{row.Decision} ({row.Language}): {row.Positives} vs {row.Negatives}",
                $"{row.Decision} ({row.Language})");
            var corner = plot.Add.Rectangle(0, row.MaxFalsePositiveRate, row.MinTruePositiveRate, 1);
            corner.FillStyle.Color = Colors.Green.WithAlpha(0.2);
            corner.LineStyle.Width = 0;
            corner.LegendText = "target";
            var chance = plot.Add.Line(0, 0, 1, 1);
            chance.LinePattern = LinePattern.Dotted;
            chance.Color = Colors.Gray;
            foreach (var (name, curve, color) in new[]
                     {
                         ("own readiness", row.Own, Colors.Blue), ("probe, RL prompts", row.ProbeTransfer, Colors.Orange),
                         ("probe, cross-validated", row.ProbeCrossValidated, Colors.Purple), ("name surprisal", row.NameSurprisal, Colors.Brown),
                     })
            {
                if (curve is null) continue;
                var line = plot.Add.Scatter(curve.Points.Select(p => p[0]).ToArray(), curve.Points.Select(p => p[1]).ToArray());
                line.Color = color;
                line.MarkerSize = 0;
                line.LineWidth = 2;
                line.LegendText = $"{name}, AUC {curve.Auc:0.00}";
            }
            var greedy = plot.Add.Marker(row.TakenOnNegatives, row.TakenOnPositives);
            greedy.MarkerStyle.Size = 10;
            greedy.Color = Colors.Black;
            greedy.LegendText = "greedy";
            plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);                                         // curves on an edge stay visible
            plot.XLabel($"taken on {row.Negatives} (false positives)");
            plot.YLabel($"taken on {row.Positives}");
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            return plot;
        }).ToArray();
        int columns = Math.Max(1, DecisionKind.All.Count), rows = (plots.Length + columns - 1) / columns;
        WriteGrid(path, plots, columns, Math.Max(rows, 1), cellWidth, cellHeight);
    }

    /// <summary>Token labels, by id where no installed font can draw them.</summary>
    static string[] Labels(string[] tokens, int[] ids) =>
        tokens.Select((t, i) => ChartFont.CanDraw(t) ? t : $"#{ids[i]}").ToArray();

    static string Short(string text) => text.Length <= 24 ? text : text[..23] + "…";

    static void Write(string path, Plot plot, int width, int height) => WriteGrid(path, [plot], 1, 1, width, height);

    /// <summary>Renders plots into one image, row by row, each in a cell of the given size.</summary>
    static void WriteGrid(string path, Plot[] plots, int columns, int rows, int cellWidth, int cellHeight)
    {
        using var surface = SKSurface.Create(new SKImageInfo(columns * cellWidth, rows * cellHeight))
                            ?? throw new SharpLmException($"cannot create a {columns * cellWidth}×{rows * cellHeight} image");
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < plots.Length; i++)
        {
            // Each plot gets its own surface: rendering clears the whole canvas it is given.
            using var cell = SKSurface.Create(new SKImageInfo(cellWidth, cellHeight))!;
            plots[i].Render(cell.Canvas, cellWidth, cellHeight);
            using var snapshot = cell.Snapshot();
            surface.Canvas.DrawImage(snapshot, i % columns * cellWidth, i / columns * cellHeight);
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        AtomicFile.WriteAllBytes(path, png.AsSpan());
    }
}

using System.CommandLine;
using SharpLM.Inspection;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect attention</c>: attention heat maps and, for one token, where each head looks.</summary>
public static class InspectAttentionCommand
{
    public static Command Build()
    {
        var text = new Argument<string>("text") { Description = "text to run through the model" };
        var layer = new Option<int?>("--layer") { Description = "0-based layer (default: all in the table, the last in the chart)" };
        var head = new Option<int?>("--head") { Description = "one head for the chart (default: a grid of all heads)" };
        var focus = new Option<string?>("--focus") { Description = "word whose attention to list, e.g. \"it\" (default: the last token)" };
        var top = new Option<int>("--top") { Description = "attended tokens per head", DefaultValueFactory = _ => 3 };
        var output = InspectCommand.ChartOption("the attention heat map(s)");
        var command = new Command("attention", "Attention weights per layer and head: heat maps and the tokens a chosen token attends to") { text, layer, head, focus, top, output };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            using var inspector = shared.Open(parse);
            var report = inspector.Attention(parse.GetValue(text)!, parse.GetValue(layer), parse.GetValue(focus), parse.GetValue(top));
            if (parse.GetValue(output) is { } path) Charts.Attention(report, report.Layers[^1], parse.GetValue(head), path);
            if (shared.PrintedJson(parse, report)) return 0;
            AnsiConsole.MarkupLine($"tokens: {Markup.Escape(string.Join(" ", report.Tokens.Select((t, i) => $"{i}:{t}")))}");
            AnsiConsole.MarkupLine($"attention from [bold]{Markup.Escape(report.Tokens[report.FocusPosition])}[/] (position {report.FocusPosition}):");
            var table = new Table().AddColumns("layer", "head", "attends most to (position: weight)");
            foreach (var row in report.Focus)
                table.AddRow(row.Layer.ToString(), row.Head.ToString(),
                    string.Join("   ", row.Top.Select(a => $"{Markup.Escape(a.Token)} ({a.Position}): {InspectCommand.F(a.Weight, "0.00")}")));
            AnsiConsole.Write(table);
            if (parse.GetValue(output) is { } written) InspectCommand.ChartWritten(written);
            return 0;
        });
        return command;
    }
}

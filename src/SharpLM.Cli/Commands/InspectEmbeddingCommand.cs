using System.CommandLine;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect embedding</c>: a token's static embedding and its nearest tokens.</summary>
public static class InspectEmbeddingCommand
{
    public static Command Build()
    {
        var word = new Argument<string>("word") { Description = "a token or word (several tokens are averaged)" };
        var top = new Option<int>("--top") { Description = "nearest tokens to list", DefaultValueFactory = _ => 10 };
        var output = InspectCommand.ChartOption("the nearest-token bar chart");
        var command = new Command("embedding", "The static embedding of a word (first dimensions, norm) and its nearest tokens by cosine") { word, top, output };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            using var inspector = shared.Open(parse);
            var report = inspector.Embedding(parse.GetValue(word)!, parse.GetValue(top));
            if (parse.GetValue(output) is { } path) Inspection.Charts.Embedding(report, path);
            if (shared.PrintedJson(parse, report)) return 0;
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(report.Word)}[/]  tokens {Markup.Escape(string.Join(" ", report.Tokens))} " +
                                   $"(ids {string.Join(" ", report.Ids)}), width {report.Width}, norm {InspectCommand.F(report.Norm, "0.000")}");
            AnsiConsole.MarkupLine($"first dimensions: [[{string.Join(", ", report.FirstDimensions.Select(v => InspectCommand.F(v, "0.000")))} …]]");
            var table = new Table().AddColumns("nearest token", "id", "cosine");
            foreach (var n in report.Nearest) table.AddRow(Markup.Escape(n.Text), n.Id.ToString(), InspectCommand.F(n.Score, "0.000"));
            AnsiConsole.Write(table);
            if (parse.GetValue(output) is { } written) InspectCommand.ChartWritten(written);
            return 0;
        });
        return command;
    }
}

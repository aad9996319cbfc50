using System.CommandLine;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect tokens</c>: the tokenizer's view of a text and where the model was surprised.</summary>
public static class InspectTokensCommand
{
    public static Command Build()
    {
        var text = new Argument<string>("text") { Description = "text to tokenize and score" };
        var output = InspectCommand.ChartOption("the surprisal bar chart");
        var command = new Command("tokens", "Tokens, ids and byte spans, with the model's probability and surprisal of each token") { text, output };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            using var inspector = shared.Open(parse);
            var report = inspector.Tokens(parse.GetValue(text)!);
            if (parse.GetValue(output) is { } path) Inspection.Charts.Tokens(report, path);
            if (shared.PrintedJson(parse, report)) return 0;
            var table = new Table().AddColumns("#", "token", "ids", "bytes", "p(token)", "surprisal (bits)");
            foreach (var row in report.Rows)
                table.AddRow(row.Index.ToString(), Markup.Escape(Inspection.Inspector.Visible(row.Text)), string.Join(" ", row.Ids),
                    $"{row.ByteStart}..{row.ByteEnd}", InspectCommand.F(row.Probability ?? double.NaN),
                    Bar(row.Surprisal));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{report.Tokens} tokens, {report.Characters} characters, {report.Bytes} bytes; " +
                                   $"mean surprisal {InspectCommand.F(report.MeanSurprisalPerToken, "0.00")} bits/token");
            if (parse.GetValue(output) is { } written) InspectCommand.ChartWritten(written);
            return 0;
        });
        return command;
    }

    static string Bar(double? bits) =>
        bits is { } b ? $"{InspectCommand.F(b, "0.00"),6} [red]{new string('█', Math.Min(20, (int)Math.Round(b)))}[/]" : "–";
}

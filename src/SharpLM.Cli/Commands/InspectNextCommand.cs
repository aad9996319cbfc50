using System.CommandLine;
using SharpLM.Inspection;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect next</c>: the next-token distribution and what temperature, top-k and top-p do to it.</summary>
public static class InspectNextCommand
{
    public static Command Build()
    {
        var text = new Argument<string>("text") { Description = "the prompt" };
        var top = new Option<int>("--top") { Description = "candidates to show", DefaultValueFactory = _ => 10 };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature T", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "keep the K most likely tokens", DefaultValueFactory = _ => 5 };
        var topP = new Option<double>("--top-p") { Description = "keep the smallest set with this much probability", DefaultValueFactory = _ => 0.9 };
        var output = InspectCommand.ChartOption("the probability bar chart");
        var command = new Command("next", "The next-token distribution as a table and bar chart, with temperature / top-k / top-p") { text, top, temperature, topK, topP, output };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            using var inspector = shared.Open(parse);
            var report = inspector.Next(parse.GetValue(text)!, parse.GetValue(top), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP));
            if (parse.GetValue(output) is { } path) Charts.Next(report, path);
            if (shared.PrintedJson(parse, report)) return 0;
            var table = new Table().AddColumns("token", "id", "logit", "p (T=1)", $"p (T={InspectCommand.F(report.Temperature, "0.##")})",
                $"top-k {report.TopKLimit}", $"top-p {InspectCommand.F(report.TopPLimit, "0.##")}");
            foreach (var r in report.Rows)
                table.AddRow(Markup.Escape(r.Token), r.Id.ToString(), InspectCommand.F(r.Logit, "0.00"), InspectCommand.F(r.Probability),
                    InspectCommand.F(r.Tempered), Kept(r.TopK), Kept(r.TopP));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"entropy {InspectCommand.F(report.EntropyBits, "0.00")} bits at T=1, " +
                                   $"{InspectCommand.F(report.TemperedEntropyBits, "0.00")} bits at T={InspectCommand.F(report.Temperature, "0.##")}; " +
                                   $"top-p keeps {report.TopPKept} tokens");
            if (parse.GetValue(output) is { } written) InspectCommand.ChartWritten(written);
            return 0;
        });
        return command;
    }

    /// <summary>A probability after filtering, or "cut" where the filter removed the token.</summary>
    static string Kept(double p) => p > 0 ? InspectCommand.F(p) : "[grey]cut[/]";
}

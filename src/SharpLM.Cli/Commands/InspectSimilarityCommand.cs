using System.CommandLine;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect similarity</c>: two words or phrases compared by embedding and by final hidden state.</summary>
public static class InspectSimilarityCommand
{
    public static Command Build()
    {
        var a = new Argument<string>("a") { Description = "first word or phrase" };
        var b = new Argument<string>("b") { Description = "second word or phrase" };
        var command = new Command("similarity", "Cosine similarity of two words or phrases: static embeddings and final hidden states") { a, b };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            using var inspector = shared.Open(parse);
            var report = inspector.Similarity(parse.GetValue(a)!, parse.GetValue(b)!);
            if (shared.PrintedJson(parse, report)) return 0;
            var table = new Table().AddColumns("compared", "cosine");
            table.AddRow("static embeddings (mean over tokens)", InspectCommand.F(report.StaticCosine, "0.000"));
            table.AddRow("final hidden state (last token)", InspectCommand.F(report.ContextualCosine, "0.000"));
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(report.A)}[/] ({string.Join(" ", report.IdsA)}) vs " +
                                   $"[bold]{Markup.Escape(report.B)}[/] ({string.Join(" ", report.IdsB)})");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}

using System.CommandLine;
using SharpLM.Serving;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm feedback stats FILE</c>: what people voted in the arena, per verdict and per model.</summary>
public static class FeedbackCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("file") { Description = "the preference file sharplm serve's arena writes" };
        var stats = new Command("stats", "Counts and win rates per model of an arena preference file") { file };
        CliRunner.SetHandler(stats, parse =>
        {
            var summary = FeedbackSummary.Read(parse.GetValue(file)!);
            var v = summary.Verdicts;
            Console.Out.WriteLine($"{summary.Votes} votes: A {v["a"]}, B {v["b"]}, tie {v["tie"]}, both bad {v["both_bad"]}");
            var table = new Table().AddColumns("model", "votes", "wins", "losses", "ties", "both bad", "vs itself", "win rate");
            foreach (var m in summary.Models)
                table.AddRow(Markup.Escape(m.Model), $"{m.Votes}", $"{m.Wins}", $"{m.Losses}", $"{m.Ties}", $"{m.BothBad}",
                             $"{m.SelfVotes}", double.IsNaN(m.WinRate) ? "–" : $"{m.WinRate:P0}");
            AnsiConsole.Write(table);
            return 0;
        });
        return new Command("feedback", "Human feedback collected by sharplm serve") { stats };
    }
}

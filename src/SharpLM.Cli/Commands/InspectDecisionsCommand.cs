using System.CommandLine;
using SharpLM.Data.World;
using SharpLM.Inspection;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect decisions</c>: how well a chat model separates what it should decline from what it should answer.</summary>
public static class InspectDecisionsCommand
{
    public static Command Build()
    {
        var world = new Option<string>("--world")
        {
            Description = "world folder (from `world export` or a speedrun's world/): eval.jsonl, and rl_prompts.jsonl " +
                          "for the probe fitted on RL's prompts",
            Required = true,
        };
        var output = InspectCommand.ChartOption("the decision curves");
        var command = new Command("decisions",
            "\"I don't know\" and refusal as decisions: decision curves of the model's own readiness and of linear probes on its " +
            "hidden state, against the report card's targets") { world, output };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            var folder = parse.GetValue(world)!;
            var evaluation = WorldExport.ReadItems(Path.Combine(folder, "eval.jsonl"));
            var rlPath = Path.Combine(folder, "rl_prompts.jsonl");
            var practice = File.Exists(rlPath) ? WorldExport.ReadItems(rlPath) : null;
            using var inspector = shared.Open(parse);
            var report = ProgressDisplay.Run("decisions", p => inspector.Decisions(evaluation, practice, p));
            if (parse.GetValue(output) is { } path) Charts.Decisions(report, path);
            if (shared.PrintedJson(parse, report)) return 0;
            var table = new Table().AddColumns("lang", "decision", "items +/−", "greedy +/−", "target",
                "own AUC", "own best + at limit", "probe (RL) AUC / +", "probe (CV) AUC / +", "name surprisal AUC / +");
            foreach (var r in report.Rows)
                table.AddRow(r.Language, r.Decision, $"{r.PositiveItems}/{r.NegativeItems}",
                    $"{Pct(r.TakenOnPositives)}/{Pct(r.TakenOnNegatives)}", $"+ ≥ {Pct(r.MinTruePositiveRate)} at − ≤ {Pct(r.MaxFalsePositiveRate)}",
                    InspectCommand.F(r.Own.Auc, "0.00"), Reach(r.Own, r), Brief(r.ProbeTransfer, r), Brief(r.ProbeCrossValidated, r),
                    Brief(r.NameSurprisal, r));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"+ = {Markup.Escape("taken where it should be")}, − = taken where it should not. Probes read " +
                                   Markup.Escape(report.Features) + ".");
            if (parse.GetValue(output) is { } written) InspectCommand.ChartWritten(written);
            return 0;
        });
        return command;
    }

    static string Pct(double share) => double.IsNaN(share) ? "–" : $"{100 * share:0}%";

    static string Reach(CurveSummary curve, DecisionRow row) =>
        (curve.Reaches(row.MinTruePositiveRate) ? "[green]" : "[red]") + Pct(curve.TruePositiveRateAtLimit) + "[/]";

    static string Brief(CurveSummary? curve, DecisionRow row) =>
        curve is null ? "–" : $"{InspectCommand.F(curve.Auc, "0.00")} / {Reach(curve, row)}";
}

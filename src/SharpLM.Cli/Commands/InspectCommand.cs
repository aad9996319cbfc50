using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using SharpLM.Core;
using SharpLM.Inspection;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm inspect …</c>: the glass box. Each view is one file (Inspect*Command); this holds what they share.</summary>
public static class InspectCommand
{
    public static Command Build()
    {
        var command = new Command("inspect",
            "Look inside a trained model: tokens, embeddings, context, attention, next token, logit lens, decisions");
        foreach (var view in new[]
                 {
                     InspectTokensCommand.Build(), InspectEmbeddingCommand.Build(), InspectSimilarityCommand.Build(),
                     InspectContextCommand.Build(), InspectAttentionCommand.Build(), InspectNextCommand.Build(),
                     InspectLensCommand.Build(), InspectDecisionsCommand.Build(),
                 })
            command.Subcommands.Add(view);
        return command;
    }

    /// <summary>The options every view takes: the run folder, --json and --threads.</summary>
    internal sealed record Shared(Option<string> Model, Option<bool> Json, Option<int> Threads)
    {
        public static Shared AddTo(Command command)
        {
            var shared = new Shared(
                new Option<string>("--model") { Description = "run folder or checkpoint (base, SFT or RLHF)", Required = true },
                CommonOptions.Json(), CommonOptions.Threads());
            command.Options.Add(shared.Model);
            command.Options.Add(shared.Json);
            command.Options.Add(shared.Threads);
            return shared;
        }

        public Inspector Open(ParseResult parse)
        {
            TorchRuntime.Apply(new TorchSettings(Threads: parse.GetValue(Threads)));
            return Inspector.Open(parse.GetValue(Model)!);
        }

        /// <summary>Prints the report as JSON when --json is set; returns whether it did.</summary>
        public bool PrintedJson<T>(ParseResult parse, T report)
        {
            if (!parse.GetValue(Json)) return false;
            Console.Out.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
            return true;
        }
    }

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,            // Chinese stays readable
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    internal static Option<string?> ChartOption(string what) =>
        new("--out") { Description = $"write {what} to this PNG file" };

    internal static void ChartWritten(string path)
    {
        AnsiConsole.MarkupLine($"chart: [blue]{Markup.Escape(path)}[/]");
        if (ChartFont.CjkFont is null) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(ChartFont.Note)}");
    }

    internal static string F(double value, string format = "0.0000") =>
        double.IsNaN(value) ? "–" : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    internal static string Tokens(IEnumerable<ScoredToken> tokens, string format = "0.000") =>
        string.Join("  ", tokens.Select(t => $"{Markup.Escape(t.Text)} {F(t.Score, format)}"));
}

using System.CommandLine;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect lens</c>: the logit lens, the prediction the model would make if it stopped after each layer.</summary>
public static class InspectLensCommand
{
    public static Command Build()
    {
        var text = new Argument<string>("text") { Description = "the prompt" };
        var top = new Option<int>("--top") { Description = "tokens per layer", DefaultValueFactory = _ => 3 };
        var command = new Command("lens", "Logit lens: the top next token if the model stopped after each layer") { text, top };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            using var inspector = shared.Open(parse);
            var report = inspector.Lens(parse.GetValue(text)!, parse.GetValue(top));
            if (shared.PrintedJson(parse, report)) return 0;
            var table = new Table().AddColumns("after", "top tokens (probability)", $"p(final: {Markup.Escape(report.FinalToken)})");
            foreach (var layer in report.Layers)
                table.AddRow(layer.Name, InspectCommand.Tokens(layer.Top), InspectCommand.F(layer.FinalTokenProbability));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}

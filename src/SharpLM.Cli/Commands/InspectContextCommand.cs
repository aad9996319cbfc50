using System.CommandLine;
using SharpLM.Inspection;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>inspect context</c>: one word's vector in several sentences, layer by layer.</summary>
public static class InspectContextCommand
{
    public static Command Build()
    {
        var word = new Option<string>("--word") { Description = "the word to follow (its last occurrence in each sentence)", Required = true };
        var sentences = new Argument<string[]>("sentences") { Description = "two or more sentences containing the word", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "logit-lens tokens per sentence", DefaultValueFactory = _ => 5 };
        var output = InspectCommand.ChartOption("the similarity-per-layer line chart");
        var command = new Command("context", "The same word's hidden vector in different sentences: cosine similarity per layer") { word, sentences, top, output };
        var shared = InspectCommand.Shared.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            using var inspector = shared.Open(parse);
            var report = inspector.Context(parse.GetValue(word)!, parse.GetValue(sentences)!, parse.GetValue(top));
            if (parse.GetValue(output) is { } path) Charts.Context(report, path);
            if (shared.PrintedJson(parse, report)) return 0;
            var where = new Table().AddColumns("#", "sentence", "token (position)", "logit lens of the last layer");
            for (int i = 0; i < report.Sentences.Length; i++)
            {
                var s = report.Sentences[i];
                where.AddRow(i.ToString(), Markup.Escape(s.Sentence), $"{Markup.Escape(s.Token)} #{s.TokenId} ({s.Position})",
                    InspectCommand.Tokens(s.LensTop));
            }
            AnsiConsole.Write(where);
            var table = new Table().AddColumn("layer");
            for (int i = 0; i < report.Sentences.Length; i++) table.AddColumn($"‖v{i}‖");
            foreach (var pair in report.Pairs) table.AddColumn($"cos {pair.A}↔{pair.B}");
            for (int layer = 0; layer < report.LayerNames.Length; layer++)
                table.AddRow([report.LayerNames[layer],
                    .. report.Sentences.Select(s => InspectCommand.F(s.NormByLayer[layer], "0.00")),
                    .. report.Pairs.Select(p => InspectCommand.F(p.CosineByLayer[layer], "0.000"))]);
            AnsiConsole.Write(table);
            if (parse.GetValue(output) is { } written) InspectCommand.ChartWritten(written);
            return 0;
        });
        return command;
    }
}

using System.CommandLine;
using System.Text.Json;
using SharpLM.Tokenization;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm tokenize</c>: shows how a tokenizer splits text, like OpenAI's tokenizer page: coloured spans in a terminal,
/// one span per line when piped, JSON with --json. A character split over several tokens is one span listing its ids.
/// </summary>
public static class TokenizeCommand
{
    static readonly string[] Colours = ["on darkblue", "on darkgreen", "on darkred", "on purple4", "on darkorange3", "on deepskyblue4"];

    public static Command Build()
    {
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "tokenizer folder, or cl100k_base / o200k_base",
            Required = true,
        };
        var allowSpecial = new Option<bool>("--allow-special") { Description = "turn special-token text such as <|bos|> into its id" };
        var json = CommonOptions.Json();
        var text = new Argument<string?>("text") { Description = "text to tokenize (standard input when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("tokenize", "Show the tokens, ids and counts of a text") { tokenizer, allowSpecial, json, text };
        CliRunner.SetHandler(command, parse =>
        {
            var input = parse.GetValue(text) ?? Console.In.ReadToEnd();
            var view = TokenView.Analyze(Tokenizer.Load(parse.GetValue(tokenizer)!), input, parse.GetValue(allowSpecial));
            if (parse.GetValue(json)) PrintJson(view);
            else if (Console.IsOutputRedirected) PrintPlain(view);
            else PrintColoured(view);
            return 0;
        });
        return command;
    }

    static void PrintJson(TokenizedText view) => Console.WriteLine(JsonSerializer.Serialize(new
    {
        characters = view.Characters,
        bytes = view.Bytes,
        tokens = view.Ids.Length,
        ids = view.Ids,
        spans = view.Spans.Select(s => new { ids = s.Ids, byte_start = s.ByteStart, byte_end = s.ByteEnd, text = s.Text, special = s.IsSpecial }),
    }, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    static void PrintPlain(TokenizedText view)
    {
        foreach (var s in view.Spans) Console.WriteLine($"{string.Join(' ', s.Ids)}\t{s.Printable}");
        Console.WriteLine(Counts(view));
    }

    static void PrintColoured(TokenizedText view)
    {
        var line = string.Concat(view.Spans.Select((s, i) => $"[{Colours[i % Colours.Length]}]{Markup.Escape(s.Printable)}[/]"));
        AnsiConsole.MarkupLine(line);
        var table = new Table().AddColumns("#", "ids", "bytes", "text");
        for (int i = 0; i < view.Spans.Count; i++)
        {
            var s = view.Spans[i];
            table.AddRow($"{i}", string.Join(' ', s.Ids), $"{s.ByteStart}..{s.ByteEnd}",
                $"[{Colours[i % Colours.Length]}]{Markup.Escape(s.Printable)}[/]{(s.IsSpecial ? " (special)" : "")}");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(Counts(view)));
    }

    static string Counts(TokenizedText v) => $"characters {v.Characters}, bytes {v.Bytes}, tokens {v.Ids.Length}";
}

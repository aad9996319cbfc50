using System.CommandLine;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Tokenization;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm sft render</c>: one conversation as the trainer sees it, trained tokens highlighted, context dimmed.</summary>
public static class SftRenderCommand
{
    /// <summary>Plain-text markers around trained text when output is piped (no colours).</summary>
    public const string TrainedOpen = "⟦", TrainedClose = "⟧";

    public static Command Build()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer folder (a model folder holds one too)", Required = true };
        var data = new Option<string>("--data") { Description = "conversation file (messages, Alpaca, Dolly, prompt/completion, GSM8K; .gz too)", Required = true };
        var index = new Option<int>("--index") { Description = "0-based conversation to show", DefaultValueFactory = _ => 0 };
        var command = new Command("render", "Show a rendered conversation: trained tokens highlighted, masked ones dimmed") { tokenizer, data, index };
        CliRunner.SetHandler(command, parse =>
        {
            var tok = Tokenizer.Load(parse.GetValue(tokenizer)!);
            var conversations = ConversationReader.Read(parse.GetValue(data)!).Conversations;
            int i = parse.GetValue(index);
            if (i < 0 || i >= conversations.Count)
                throw new SharpLmException($"--index {i} is out of range: the file holds {conversations.Count} conversations (0..{conversations.Count - 1})");
            var conversation = conversations[i];
            RenderedConversation rendered;
            try { rendered = new ChatTemplate(tok).Render(conversation.Messages); }
            catch (SharpLmException e) { throw new SharpLmException($"{conversation.Source}: {e.Message}", e); }
            var spans = MaskedSpans.Of(tok, rendered);
            var header = $"{conversation.Source}: {rendered.Ids.Length} tokens, {rendered.TrainedTokens} trained";
            if (Console.IsOutputRedirected)
            {
                Console.WriteLine($"# {header} (trained text between {TrainedOpen} and {TrainedClose})");
                Console.WriteLine(string.Concat(spans.Select(s => s.Trained ? TrainedOpen + s.Text + TrainedClose : s.Text)));
            }
            else
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(header)}[/] ([black on green]trained[/], [grey]context[/])");
                AnsiConsole.MarkupLine(string.Concat(spans.Select(s =>
                    s.Trained ? $"[black on green]{Markup.Escape(s.Text)}[/]" : $"[grey]{Markup.Escape(s.Text)}[/]")));
            }
            return 0;
        });
        return command;
    }
}

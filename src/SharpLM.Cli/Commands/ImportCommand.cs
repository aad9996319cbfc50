using System.CommandLine;
using SharpLM.Interop;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm import hf DIR --out RUN</c>: a Hugging Face model folder becomes a SharpLM run folder.</summary>
public static class ImportCommand
{
    public static Command Build()
    {
        var import = new Command("import", "Bring a published model in as a SharpLM run folder");
        var dir = new Argument<string>("dir") { Description = "Hugging Face folder: config.json, model.safetensors (or shards with the index), tokenizer.json" };
        var output = new Option<string>("--out") { Description = "run folder to write (its model/ is replaced atomically)", Required = true };
        var hf = new Command("hf", "Import a Llama-, Qwen3- or Arcee-layout safetensors folder with a byte-level BPE tokenizer.json") { dir, output };
        CliRunner.SetHandler(hf, parse =>
        {
            var options = new HfImportOptions(parse.GetValue(dir)!, parse.GetValue(output)!);
            var r = ProgressDisplay.Run("import hf", progress => HfImporter.Import(options, progress));
            var c = r.Config;
            AnsiConsole.MarkupLine($"imported {r.Architecture} into [bold]{Markup.Escape(r.Out)}[/]: depth {c.Depth}, width {c.Width}, " +
                                   $"{c.Heads} heads ({c.KvHeads} kv), vocabulary {c.VocabSize:N0}, {c.ParameterCount:N0} parameters");
            if (r.AddedSpecials.Count > 0)
                AnsiConsole.MarkupLine(Markup.Escape($"added SharpLM's chat tokens as new rows (untrained until sft): {string.Join(' ', r.AddedSpecials)}"));
            AnsiConsole.MarkupLine(r.ChatTemplate ? "chat template: SharpLM's (chat works now)" : "no chat template yet: run sft before chat");
            return 0;
        });
        import.Subcommands.Add(hf);
        return import;
    }
}

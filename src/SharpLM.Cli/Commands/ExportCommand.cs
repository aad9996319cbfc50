using System.CommandLine;
using SharpLM.Interop;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm export gguf|hf</c>: a trained model for llama.cpp / Ollama (GGUF) or Hugging Face tooling.</summary>
public static class ExportCommand
{
    public static Command Build()
    {
        var export = new Command("export", "Write a model for other tools: GGUF (llama.cpp, Ollama, LM Studio) or a Hugging Face folder");
        export.Subcommands.Add(BuildGguf());
        export.Subcommands.Add(BuildHf());
        return export;
    }

    static Command BuildGguf()
    {
        var model = new Option<string>("--model") { Description = "run folder or checkpoint folder", Required = true };
        var output = new Option<string>("--out") { Description = "the .gguf file to write (atomically)", Required = true };
        var type = new Option<string>("--type") { Description = "matrix type: f32, f16 or q8_0 (norm weights stay f32)", DefaultValueFactory = _ => "f32" };
        type.AcceptOnlyFromAmong("f32", "f16", "q8_0");
        var command = new Command("gguf", "Write a GGUF v3 file (qwen3, llama or arcee architecture, gpt2 tokenizer, chat template)") { model, output, type };
        CliRunner.SetHandler(command, parse =>
        {
            var t = parse.GetValue(type) switch { "f16" => GgufType.F16, "q8_0" => GgufType.Q8_0, _ => GgufType.F32 };
            var r = GgufExporter.Export(new GgufExportOptions(parse.GetValue(model)!, parse.GetValue(output)!, t));
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(r.Out)}[/]: architecture {r.Architecture}, {r.Type}, " +
                                   $"{r.Tensors} tensors, {r.Bytes / 1048576.0:N1} MiB");
            return 0;
        });
        return command;
    }

    static Command BuildHf()
    {
        var model = new Option<string>("--model") { Description = "run folder or checkpoint folder", Required = true };
        var output = new Option<string>("--out") { Description = "the folder to write (replaced atomically)", Required = true };
        var command = new Command("hf", "Write a Hugging Face folder: config.json, model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json")
            { model, output };
        CliRunner.SetHandler(command, parse =>
        {
            var r = HfExporter.Export(new HfExportOptions(parse.GetValue(model)!, parse.GetValue(output)!));
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(r.Out)}[/]: {r.Architecture}, {r.Parameters:N0} parameters");
            return 0;
        });
        return command;
    }
}

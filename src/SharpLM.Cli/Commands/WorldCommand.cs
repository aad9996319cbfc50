using System.CommandLine;
using System.Text.Json;
using SharpLM.Core;
using SharpLM.Data.World;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm world export</c>: generates the built-in bilingual small world and writes its four sets as files.</summary>
public static class WorldCommand
{
    public static Command Build()
    {
        var world = new Command("world", "The built-in bilingual (zh/en) small world: facts, pretraining text, SFT, preferences, evaluation");
        world.Subcommands.Add(BuildExport());
        return world;
    }

    static Command BuildExport()
    {
        var defaults = new WorldOptions();
        var outDir = new Option<string>("--out") { Description = "folder to write (replaced atomically)", Required = true };
        var seed = CommonOptions.Seed();
        var chars = new Option<long>("--chars") { Description = "target size of the pretraining text in characters", DefaultValueFactory = _ => defaults.PretrainChars };
        var sft = new Option<int>("--sft") { Description = "number of SFT conversations", DefaultValueFactory = _ => defaults.SftConversations };
        var preferences = new Option<int>("--preferences") { Description = "number of preference pairs", DefaultValueFactory = _ => defaults.PreferencePairs };
        var json = CommonOptions.Json();
        var command = new Command("export", "Write pretrain.jsonl/.txt, sft.jsonl, preference.jsonl, eval.jsonl and split.json to a folder")
            { outDir, seed, chars, sft, preferences, json };
        CliRunner.SetHandler(command, parse =>
        {
            long s = parse.GetValue(seed);
            if (s is < int.MinValue or > int.MaxValue) throw SharpLmException.At(null, null, "--seed", $"must fit in 32 bits, got {s}");
            var options = defaults with
            {
                Seed = (int)s, PretrainChars = parse.GetValue(chars), SftConversations = parse.GetValue(sft), PreferencePairs = parse.GetValue(preferences),
            };
            var dir = parse.GetValue(outDir)!;
            var counts = WorldExport.Write(dir, new WorldGenerator(options).Generate());
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(counts.Select(c => new { set = c.Set, language = c.Language, items = c.Items, chars = c.Chars })));
                return 0;
            }
            var table = new Table().AddColumns("set", "language", "items", "characters");
            foreach (var c in counts) table.AddRow(c.Set, c.Language, c.Items.ToString("N0"), c.Chars.ToString("N0"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"written to [bold]{Markup.Escape(Path.GetFullPath(dir))}[/]");
            return 0;
        });
        return command;
    }
}

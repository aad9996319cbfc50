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
        var policy = new Option<string?>("--policy") { Description = "a model (usually SFT) whose sampled answers to the RL prompts the world's checker ranks into preference_onpolicy.jsonl" };
        var samples = new Option<int>("--samples") { Description = "answers sampled per RL prompt with --policy", DefaultValueFactory = _ => 4 };
        var factPasses = CommonOptions.FactPasses();
        var rlFacts = CommonOptions.RlFacts();
        var freshUnknown = CommonOptions.SftFreshUnknown();
        var json = CommonOptions.Json();
        var command = new Command("export", "Write pretrain.jsonl/.txt, sft.jsonl, preference.jsonl, eval.jsonl, rl_prompts.jsonl and split.json to a folder")
            { outDir, seed, chars, sft, preferences, factPasses, rlFacts, freshUnknown, policy, samples, json };
        CliRunner.SetHandler(command, parse =>
        {
            long s = parse.GetValue(seed);
            if (s is < int.MinValue or > int.MaxValue) throw SharpLmException.At(null, null, "--seed", $"must fit in 32 bits, got {s}");
            var options = defaults with
            {
                Seed = (int)s, PretrainChars = parse.GetValue(chars), SftConversations = parse.GetValue(sft), PreferencePairs = parse.GetValue(preferences),
                FactPasses = parse.GetValue(factPasses) ?? defaults.FactPasses, RlFacts = parse.GetValue(rlFacts) ?? defaults.RlFacts,
                SftFreshUnknown = parse.GetValue(freshUnknown) ?? defaults.SftFreshUnknown,
            };
            var dir = parse.GetValue(outDir)!;
            var generated = new WorldGenerator(options).Generate();
            IReadOnlyList<PreferencePair>? onPolicy = null;
            if (parse.GetValue(policy) is { } model)
            {
                using var loaded = SharpLM.Training.RunFolder.LoadModel(model);
                var template = SharpLM.Tokenization.ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer) ?? new SharpLM.Tokenization.ChatTemplate(loaded.Tokenizer);
                onPolicy = ProgressDisplay.Run("pairs", progress => SharpLM.Alignment.OnPolicyPairs.Sample(new SharpLM.Inference.Generator(loaded.Model, loaded.Tokenizer),
                    template, generated.RlPrompts, parse.GetValue(samples), SharpLM.Pipeline.StageEvaluator.ChatTokens, 1f, options.Seed, progress: progress).Pairs);
            }
            var counts = WorldExport.Write(dir, generated, onPolicy);
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

using System.CommandLine;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Pipeline;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm speedrun</c>: the whole story on the built-in small world, with a report card at the end.</summary>
public static class SpeedrunCommand
{
    public static Command Build()
    {
        var defaults = new SpeedrunOptions();
        var minutes = new Option<double>("--minutes") { Description = "wall-clock budget, split across the stages", DefaultValueFactory = _ => defaults.Minutes };
        var output = new Option<string>("--out") { Description = "speedrun folder (re-running the same command continues it)", DefaultValueFactory = _ => defaults.Out };
        var seeds = new Option<int>("--seeds") { Description = "run the recipe on this many seeds (--seed, --seed+1, …), each in OUT/seed-N, with mean and spread in OUT/seeds.md", DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var precision = CommonOptions.TrainingPrecision();
        var factPasses = CommonOptions.FactPasses();
        var rlFacts = CommonOptions.RlFacts();
        var freshUnknown = CommonOptions.SftFreshUnknown();
        var command = new Command("speedrun",
            "World → tokenizer → pretraining → SFT → on-policy pairs → reward model → PPO, DPO and GRPO; evaluations after every stage, report.md with charts and report.json")
            { minutes, output, seed, seeds, threads, precision, factPasses, rlFacts, freshUnknown };
        CliRunner.SetHandler(command, parse =>
        {
            long s = parse.GetValue(seed);
            if (s is < int.MinValue or > int.MaxValue) throw SharpLmException.At(null, null, "--seed", $"must fit in 32 bits, got {s}");
            double m = parse.GetValue(minutes);
            var (passes, rl, fresh) = (parse.GetValue(factPasses), parse.GetValue(rlFacts), parse.GetValue(freshUnknown));
            // A world option on the command line replaces the recipe's; without one, Sizes stays derived from --minutes.
            SpeedrunSizes? sizes = null;
            if (passes is not null || rl is not null || fresh is not null)
            {
                var recipe = SpeedrunSizes.For(m);
                sizes = recipe with
                {
                    World = recipe.World with
                    {
                        FactPasses = passes ?? recipe.World.FactPasses, RlFacts = rl ?? recipe.World.RlFacts,
                        SftFreshUnknown = fresh ?? recipe.World.SftFreshUnknown,
                    },
                };
            }
            var options = new SpeedrunOptions(m, parse.GetValue(output)!, (int)s, parse.GetValue(threads),
                Sizes: sizes, parse.GetValue(seeds), parse.GetValue(precision)!);
            var result = ProgressDisplay.Run("speedrun", progress =>
                new Speedrun(progress, line => AnsiConsole.Console.WriteLine(line)).Run(options));
            if (result.Skipped.Count > 0) AnsiConsole.Console.WriteLine($"kept from an earlier run: {string.Join(", ", result.Skipped)}");
            AnsiConsole.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done in {result.Seconds:F0} s; report card: {result.ReportPath}"));
            return 0;
        });
        return command;
    }
}

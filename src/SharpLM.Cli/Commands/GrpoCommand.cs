using System.CommandLine;
using SharpLM.Alignment;
using SharpLM.Alignment.Rewards;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm grpo</c>: group-relative policy optimisation against any reward function.</summary>
public static class GrpoCommand
{
    public static Command Build()
    {
        var options = new RlCliOptions(RewardFunctions.Help);
        var group = new Option<int>("--group") { Description = "answers sampled per prompt", DefaultValueFactory = _ => 4 };
        var kindBaseline = new Option<double>("--kind-baseline")
        {
            Description = "share (0–1) of each advantage taken from the reward minus its prompt kind's running mean instead of the group's (needs a world:DIR reward, which knows each prompt's kind)",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("grpo", "GRPO: N answers per prompt, advantages normalised within each group, optional KL to the reference") { group, kindBaseline };
        options.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            var o = options.Parse(parse) with { Group = parse.GetValue(group), KindBaseline = parse.GetValue(kindBaseline) };
            return options.Train(parse, "grpo", (progress, log, world) => new GrpoTrainer(progress, log, world).Run(o));
        });
        return command;
    }
}

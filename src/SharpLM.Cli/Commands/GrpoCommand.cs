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
        var command = new Command("grpo", "GRPO: N answers per prompt, advantages normalised within each group, optional KL to the reference") { group };
        options.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            var o = options.Parse(parse) with { Group = parse.GetValue(group) };
            return options.Train(parse, "grpo", (progress, log, world) => new GrpoTrainer(progress, log, world).Run(o));
        });
        return command;
    }
}

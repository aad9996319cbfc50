using System.CommandLine;
using SharpLM.Alignment;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm ppo</c>: InstructGPT-style RLHF against a reward model with a KL penalty to the SFT model.</summary>
public static class PpoCommand
{
    public static Command Build()
    {
        var options = new RlCliOptions("reward model folder (same tokenizer as the policy), or exact|contains|number|format:REGEX");
        var command = new Command("ppo", "PPO with a KL penalty: rollouts, reward at the end of each answer, GAE, clipped policy and value losses");
        options.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            var o = options.Parse(parse);
            return RlCliOptions.Train("ppo", (progress, log) => new PpoTrainer(progress, log).Run(o));
        });
        return command;
    }
}

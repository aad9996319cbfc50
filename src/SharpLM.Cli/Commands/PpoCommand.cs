using System.CommandLine;
using SharpLM.Alignment;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm ppo</c>: InstructGPT-style RLHF against a reward model with a KL penalty to the SFT model.</summary>
public static class PpoCommand
{
    public static Command Build()
    {
        var options = new RlCliOptions("reward model folder (same tokenizer as the policy), or exact|contains|number|format:REGEX");
        var targetKl = new Option<double?>("--target-kl") { Description = "adapt β so the sequence KL to the reference approaches this many nats (default: β fixed)" };
        var horizon = new Option<double>("--kl-horizon") { Description = "rollouts over which the adaptive β moves by at most 20%", DefaultValueFactory = _ => 10000 };
        var command = new Command("ppo", "PPO with a KL penalty: rollouts, reward at the end of each answer, GAE, clipped policy and value losses") { targetKl, horizon };
        options.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            var o = options.Parse(parse) with { TargetKl = parse.GetValue(targetKl), KlHorizon = parse.GetValue(horizon) };
            return options.Train(parse, "ppo", (progress, log, world) => new PpoTrainer(progress, log, world).Run(o));
        });
        return command;
    }
}

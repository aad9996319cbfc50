using System.CommandLine;
using SharpLM.Alignment;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm dpo</c>: direct preference optimisation of an SFT model against its frozen self.</summary>
public static class DpoCommand
{
    public static Command Build()
    {
        var options = new PreferenceCliOptions();
        var beta = new Option<double>("--beta") { Description = "DPO β: strength of the implicit KL constraint to the reference", DefaultValueFactory = _ => 0.1 };
        var command = new Command("dpo", "Align an SFT model directly on preference pairs (DPO); reports held-out implicit-reward accuracy and margins") { beta };
        options.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            var o = options.Parse(parse, parse.GetValue(beta));
            return options.Train(parse, "dpo", (progress, log, world) => new DpoTrainer(progress, log, world).Run(o));
        });
        return command;
    }
}

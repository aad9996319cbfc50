using System.CommandLine;
using System.Globalization;
using SharpLM.Alignment;
using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm reward train</c> (Bradley–Terry reward model from preference pairs) and <c>sharplm reward score</c>.</summary>
public static class RewardCommand
{
    public static Command Build() => new("reward", "Train a reward model on preference pairs, or score an answer with one") { Train(), Score() };

    static Command Train()
    {
        var options = new PreferenceCliOptions();
        var command = new Command("train", "Train a reward model (SFT trunk + scalar head on the last token) with the Bradley–Terry loss");
        options.AddTo(command);
        CliRunner.SetHandler(command, parse =>
        {
            var o = options.Parse(parse);
            return options.Train(parse, "reward train", (progress, log, world) => new RewardTrainer(progress, log, world).Run(o));
        });
        return command;
    }

    static Command Score()
    {
        var model = new Option<string>("--model") { Description = "reward model run or checkpoint folder", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "the user message", Required = true };
        var response = new Option<string>("--response") { Description = "the assistant answer to score", Required = true };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var command = new Command("score", "Score one answer to one prompt") { model, prompt, response, threads, device };
        CliRunner.SetHandler(command, parse =>
        {
            var dev = TorchRuntime.Apply(new TorchSettings(parse.GetValue(threads), Device: parse.GetValue(device)!));
            using var rm = RewardModel.Load(parse.GetValue(model)!, dev);
            float score = rm.Score([new ChatMessage(ChatMessage.User, parse.GetValue(prompt)!)], parse.GetValue(response)!);
            Console.Out.WriteLine(score.ToString("F4", CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }
}

using System.CommandLine;
using System.Globalization;
using SharpLM.Alignment;
using SharpLM.Core;
using SharpLM.Data;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm sft</c>: supervised fine-tuning of a pretrained run folder on conversations (and <c>sft render</c>).</summary>
public static class SftCommand
{
    public static Command Build()
    {
        var baseModel = new Option<string>("--base") { Description = "pretrained run folder or checkpoint folder", Required = true };
        var data = new Option<string[]>("--data") { Description = "conversation files (messages, Alpaca, Dolly, prompt/completion, GSM8K; .gz too)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "run folder to write", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "passes over the conversations", DefaultValueFactory = _ => 1 };
        var steps = new Option<long?>("--steps") { Description = "optimizer steps (instead of --epochs)" };
        var lr = new Option<double>("--lr") { Description = "peak learning rate (falls linearly to 0)", DefaultValueFactory = _ => 1e-4 };
        var warmup = new Option<int>("--warmup") { Description = "warmup steps", DefaultValueFactory = _ => 0 };
        var batchTokens = new Option<int>("--batch-tokens") { Description = "tokens per optimizer step", DefaultValueFactory = _ => 8192 };
        var microRows = new Option<int>("--micro-batch-rows", "--batch-size") { Description = "rows per forward/backward on one rank (0 = whole batch; needed on several ranks)", DefaultValueFactory = _ => 0 };
        var valFraction = new Option<double>("--val-fraction") { Description = "share of conversations held out for validation", DefaultValueFactory = _ => 0.05 };
        var replay = new Option<string[]>("--replay") { Description = "pretraining text files replayed with full loss (and used to measure retention)", AllowMultipleArgumentsPerToken = true };
        var replayFraction = new Option<double>("--replay-fraction") { Description = "share of each batch taken from --replay text", DefaultValueFactory = _ => 0.0 };
        var onLong = LongRecordCliOptions.OnLong("conversations");
        var skipBad = new Option<bool>("--skip-bad") { Description = "skip malformed records (counted) instead of stopping" };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --out from its latest checkpoint" };
        var evalEvery = new Option<int>("--eval-every") { DefaultValueFactory = _ => 100 };
        var saveEvery = new Option<int>("--save-every") { DefaultValueFactory = _ => 200 };
        var weightDecay = new Option<double>("--weight-decay") { DefaultValueFactory = _ => 0.0 };
        var clip = new Option<double>("--grad-clip") { Description = "max gradient norm (0 = off)", DefaultValueFactory = _ => 1.0 };
        var precision = CommonOptions.TrainingPrecision();
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var distributed = DistributedCli.Flag();
        var command = new Command("sft", "Supervised fine-tuning: teach a pretrained model to answer in the chat format")
        {
            baseModel, data, output, epochs, steps, lr, warmup, batchTokens, microRows, valFraction, replay, replayFraction,
            onLong, skipBad, resume, evalEvery, saveEvery, weightDecay, clip, precision, threads, seed, device,
            distributed,
        };
        command.Subcommands.Add(SftRenderCommand.Build());
        CliRunner.SetHandler(command, parse =>
        {
            var options = new SftOptions(parse.GetValue(baseModel)!, parse.GetValue(data)!, parse.GetValue(output)!,
                Epochs: parse.GetValue(epochs), Steps: parse.GetValue(steps), Lr: parse.GetValue(lr), WarmupSteps: parse.GetValue(warmup),
                BatchTokens: parse.GetValue(batchTokens), MicroBatchRows: parse.GetValue(microRows), ValFraction: parse.GetValue(valFraction),
                Replay: parse.GetValue(replay), ReplayFraction: parse.GetValue(replayFraction), OnLong: LongRecords.Parse(parse.GetValue(onLong)!),
                SkipBad: parse.GetValue(skipBad), Resume: parse.GetValue(resume), EvalEvery: parse.GetValue(evalEvery),
                SaveEvery: parse.GetValue(saveEvery), WeightDecay: parse.GetValue(weightDecay), GradClip: parse.GetValue(clip),
                Precision: parse.GetValue(precision)!, Torch: new TorchSettings(parse.GetValue(threads), parse.GetValue(seed), parse.GetValue(device)!));
            return DistributedCli.Run(parse, distributed, world =>
            {
                var r = ProgressDisplay.Run("sft", progress =>
                    new SftTrainer(options, progress, world, line => AnsiConsole.Console.WriteLine(line)).Run());
                if (!world.IsMain) return 0;
                static string F(double? x) => x is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
                var table = new Table().AddColumns("", "value");
                table.AddRow("conversations (train / val)", $"{r.TrainConversations} / {r.ValConversations}");
                table.AddRow("skipped malformed records", r.SkippedRecords.ToString(CultureInfo.InvariantCulture));
                table.AddRow("long conversations (kept / truncated / skipped)", $"{r.Fit.Kept} / {r.Fit.Truncated} / {r.Fit.Dropped}");
                table.AddRow("steps", r.Steps.ToString(CultureInfo.InvariantCulture));
                table.AddRow("final train loss", F(r.FinalTrainLoss));
                table.AddRow("val loss (before → after)", $"{F(r.ValLossBefore)} → {F(r.ValLossAfter)}");
                table.AddRow("pretraining text loss, retention (before → after)", $"{F(r.RetentionLossBefore)} → {F(r.RetentionLossAfter)}");
                table.AddRow("model", Markup.Escape(Path.Combine(r.OutDir, "model")));
                AnsiConsole.Write(table);
                return 0;
            });
        });
        return command;
    }
}

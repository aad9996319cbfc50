using System.CommandLine;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm pretrain</c>: next-token pretraining into a run folder (see <see cref="RunFolder"/>).</summary>
public static class PretrainCommand
{
    public static Command Build()
    {
        var data = new Option<string[]>("--data") { Description = "text files/folders (.txt, .jsonl, .json, .gz) or one prepared dataset folder", Required = true, AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer folder, cl100k_base/o200k_base, or 'char' to train a character-level one on the data", Required = true };
        var output = new Option<string>("--out") { Description = "run folder", Required = true };
        var depth = new Option<int>("--depth") { Description = "transformer blocks (width 64·depth unless --width)", DefaultValueFactory = _ => 4 };
        var width = new Option<int?>("--width") { Description = "model width" };
        var heads = new Option<int?>("--heads") { Description = "attention heads (default width/64)" };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "key/value heads (default = heads)" };
        var context = new Option<int>("--context") { Description = "context length in tokens", DefaultValueFactory = _ => 256 };
        var mlp = new Option<MlpKind>("--mlp") { Description = "ReluSquared or SwiGlu", DefaultValueFactory = _ => MlpKind.ReluSquared };
        var steps = new Option<long?>("--steps") { Description = "optimizer steps" };
        var tokens = new Option<long?>("--tokens") { Description = "training tokens (instead of --steps)" };
        var batch = new Option<int>("--batch-size") { Description = "rows per micro-batch", DefaultValueFactory = _ => 8 };
        var batchTokens = new Option<long?>("--batch-tokens") { Description = "tokens per step (gradient accumulation to reach it)" };
        var lr = new Option<double>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => 1e-3 };
        var minLr = new Option<double?>("--min-lr") { Description = "final learning rate (default lr/10)" };
        var warmup = new Option<long>("--warmup") { Description = "warmup steps", DefaultValueFactory = _ => 100 };
        var schedule = new Option<ScheduleKind>("--schedule") { Description = "Cosine or WarmupStableDecay", DefaultValueFactory = _ => ScheduleKind.Cosine };
        var weightDecay = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay on matmul weights", DefaultValueFactory = _ => 0.1 };
        var beta2 = new Option<double>("--beta2") { Description = "AdamW β2", DefaultValueFactory = _ => 0.95 };
        var clip = new Option<double>("--grad-clip") { Description = "max gradient norm (0 = off)", DefaultValueFactory = _ => 1.0 };
        var precision = CommonOptions.TrainingPrecision();
        var evalEvery = new Option<int>("--eval-every") { Description = "evaluate, chart and checkpoint every N steps", DefaultValueFactory = _ => 250 };
        var evalBatches = new Option<int>("--eval-batches") { Description = "validation batches per evaluation", DefaultValueFactory = _ => 20 };
        var logEvery = new Option<int>("--log-every") { Description = "append a metrics.jsonl line every N steps", DefaultValueFactory = _ => 10 };
        var keep = new Option<int>("--keep") { Description = "resumable checkpoints kept", DefaultValueFactory = _ => 2 };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --out from its latest checkpoint" };
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var distributed = DistributedCli.Flag();
        var command = new Command("pretrain", "Pretrain a GPT on raw text into a run folder")
        {
            data, tokenizer, output, depth, width, heads, kvHeads, context, mlp, steps, tokens, batch, batchTokens, lr, minLr,
            warmup, schedule, weightDecay, beta2, clip, precision, evalEvery, evalBatches, logEvery, keep, resume, threads, seed, device,
            distributed,
        };
        CliRunner.SetHandler(command, parse =>
        {
            var options = new PretrainOptions(
                parse.GetValue(data)!, parse.GetValue(tokenizer)!, parse.GetValue(output)!,
                new ModelShape(parse.GetValue(depth), parse.GetValue(context), parse.GetValue(width), parse.GetValue(heads),
                    parse.GetValue(kvHeads), parse.GetValue(mlp)),
                Steps: parse.GetValue(steps), Tokens: parse.GetValue(tokens), BatchSize: parse.GetValue(batch),
                BatchTokens: parse.GetValue(batchTokens), Lr: parse.GetValue(lr), MinLr: parse.GetValue(minLr),
                WarmupSteps: parse.GetValue(warmup), Schedule: parse.GetValue(schedule), WeightDecay: parse.GetValue(weightDecay),
                Beta2: parse.GetValue(beta2), GradClip: parse.GetValue(clip), Precision: parse.GetValue(precision)!,
                Threads: parse.GetValue(threads), Seed: parse.GetValue(seed), Device: parse.GetValue(device)!,
                Resume: parse.GetValue(resume), EvalEvery: parse.GetValue(evalEvery), EvalBatches: parse.GetValue(evalBatches),
                LogEvery: parse.GetValue(logEvery), KeepLast: parse.GetValue(keep));
            return DistributedCli.Run(parse, distributed, world =>
            {
                var result = ProgressDisplay.Run("pretrain", progress =>
                    new Pretrainer(progress, line => AnsiConsole.Console.WriteLine(line), world).Run(options));
                if (!world.IsMain) return 0;
                AnsiConsole.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"done: {result.Steps} steps in {result.Seconds:F1} s, train loss {result.TrainLoss:F4}, val loss {result.Val?.Loss:F4}, " +
                    $"val bpb {result.Val?.BitsPerByte:F4}, {result.TokensPerSecond:N0} tok/s, MFU {100 * result.Mfu:F1}%; model in {new RunFolder(result.RunDir).ModelDir}"));
                return 0;
            });
        });
        return command;
    }
}

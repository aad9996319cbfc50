using System.CommandLine;
using System.Globalization;
using SharpLM.Alignment;

namespace SharpLM.Cli;

/// <summary>The options <c>reward train</c> and <c>dpo</c> share, parsed into <see cref="PreferenceTrainOptions"/>.</summary>
public sealed class PreferenceCliOptions
{
    readonly Option<string> _base = new("--base") { Description = "SFT run or checkpoint folder to start from", Required = true };
    readonly Option<string[]> _data = new("--data") { Description = "preference files (.json/.jsonl/.gz: prompt/chosen/rejected, conversations, instruction, HH-RLHF)", Required = true, AllowMultipleArgumentsPerToken = true };
    readonly Option<string> _out = new("--out") { Description = "run folder", Required = true };
    readonly Option<int> _steps = new("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 200 };
    readonly Option<int> _batch = new("--batch-size") { Description = "pairs per step", DefaultValueFactory = _ => 8 };
    readonly Option<double> _lr = new("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => 5e-5 };
    readonly Option<int> _warmup = new("--warmup") { Description = "warmup steps", DefaultValueFactory = _ => 10 };
    readonly Option<double> _val = new("--val-fraction") { Description = "share of pairs held out", DefaultValueFactory = _ => 0.1 };
    readonly Option<int?> _maxPairs = new("--max-pairs") { Description = "use at most this many pairs" };
    readonly Option<int> _evalEvery = new("--eval-every") { Description = "evaluate, chart and checkpoint every N steps", DefaultValueFactory = _ => 50 };
    readonly Option<int?> _maxPrompt = LongRecordCliOptions.MaxPromptTokens("only the context limits prompt + answer");
    readonly Option<string> _onLong = LongRecordCliOptions.OnLong("pairs");
    readonly Option<bool> _skipBad = new("--skip-bad") { Description = "skip malformed preference records (counted) instead of stopping" };
    readonly Option<bool> _resume = new("--resume") { Description = "continue the run in --out from its latest checkpoint" };
    readonly Option<int> _threads = CommonOptions.Threads();
    readonly Option<long> _seed = CommonOptions.Seed();
    readonly Option<string> _device = CommonOptions.Device();
    readonly Option<string> _precision = CommonOptions.TrainingPrecision();
    readonly Option<bool> _distributed = DistributedCli.Flag();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _base, _data, _out, _steps, _batch, _lr, _warmup, _val, _maxPairs, _evalEvery, _maxPrompt, _onLong, _skipBad, _resume, _threads, _seed, _device, _precision, _distributed })
            command.Options.Add(o);
    }

    public PreferenceTrainOptions Parse(ParseResult p, double beta = 0.1) => new(
        p.GetValue(_base)!, p.GetValue(_data)!, p.GetValue(_out)!, Steps: p.GetValue(_steps), BatchSize: p.GetValue(_batch),
        Lr: p.GetValue(_lr), WarmupSteps: p.GetValue(_warmup), Beta: beta, ValFraction: p.GetValue(_val), MaxPairs: p.GetValue(_maxPairs),
        EvalEvery: p.GetValue(_evalEvery), Resume: p.GetValue(_resume), Seed: p.GetValue(_seed), Threads: p.GetValue(_threads), Device: p.GetValue(_device)!,
        MaxPromptTokens: p.GetValue(_maxPrompt), OnLong: Data.LongRecords.Parse(p.GetValue(_onLong)!), SkipBad: p.GetValue(_skipBad),
        Precision: p.GetValue(_precision)!);

    /// <summary>Runs a preference trainer under a progress bar and prints the held-out figures before and after.</summary>
    /// <summary>Runs a preference trainer in the job (see <see cref="DistributedCli"/>); rank 0 prints the summary.</summary>
    public int Train(ParseResult parse, string title,
        Func<IProgress<Core.ProgressUpdate>, Action<string>, Distributed.World, PreferenceTrainResult> run) =>
        DistributedCli.Run(parse, _distributed, world =>
        {
            var r = ProgressDisplay.Run(title, progress => run(progress, line => Console.Out.WriteLine(line), world));
            if (!world.IsMain) return 0;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done: {r.Steps} steps on {r.TrainPairs} pairs; held out ({r.After.Pairs} pairs): accuracy {r.Before.Accuracy:P1} → {r.After.Accuracy:P1}, " +
                $"mean margin {r.Before.MeanMargin:F4} → {r.After.MeanMargin:F4}; model in {r.ModelDir}"));
            return 0;
        });
}

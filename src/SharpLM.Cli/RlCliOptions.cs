using System.CommandLine;
using System.Globalization;
using SharpLM.Alignment;

namespace SharpLM.Cli;

/// <summary>The options <c>ppo</c> and <c>grpo</c> share, parsed into <see cref="RlOptions"/>.</summary>
public sealed class RlCliOptions(string rewardHelp)
{
    readonly Option<string> _policy = new("--policy") { Description = "SFT run or checkpoint folder: the policy and the frozen KL reference", Required = true };
    readonly Option<string[]> _prompts = new("--prompts") { Description = "prompt files (.txt lines, or .json/.jsonl with prompt/question/instruction and an optional answer)", Required = true, AllowMultipleArgumentsPerToken = true };
    readonly Option<string> _reward = new("--reward") { Description = rewardHelp, Required = true };
    readonly Option<string> _out = new("--out") { Description = "run folder", Required = true };
    readonly Option<int> _steps = new("--steps") { Description = "RL iterations", DefaultValueFactory = _ => 100 };
    readonly Option<int> _rollouts = new("--rollouts") { Description = "prompts per iteration", DefaultValueFactory = _ => 8 };
    readonly Option<double> _kl = new("--kl-coef") { Description = "β of the KL penalty to the reference", DefaultValueFactory = _ => 0.05 };
    readonly Option<double> _lr = new("--lr") { Description = "learning rate", DefaultValueFactory = _ => 1e-5 };
    readonly Option<int> _epochs = new("--epochs") { Description = "update passes over each iteration's rollouts", DefaultValueFactory = _ => 2 };
    readonly Option<int> _mini = new("--mini-batch") { Description = "rollouts per update", DefaultValueFactory = _ => 8 };
    readonly Option<double> _clip = new("--clip") { Description = "PPO ratio clip ε", DefaultValueFactory = _ => 0.2 };
    readonly Option<int> _maxTokens = new("--max-tokens") { Description = "longest sampled answer", DefaultValueFactory = _ => 64 };
    readonly Option<float> _temperature = new("--temperature") { Description = "sampling temperature for rollouts", DefaultValueFactory = _ => 1f };
    readonly Option<int> _sampleEvery = new("--sample-every") { Description = "log a sampled answer every N iterations", DefaultValueFactory = _ => 10 };
    readonly Option<int> _checkpointEvery = new("--checkpoint-every") { Description = "checkpoint every N iterations", DefaultValueFactory = _ => 25 };
    readonly Option<int?> _maxPrompt = LongRecordCliOptions.MaxPromptTokens("the context minus --max-tokens");
    readonly Option<string> _onLong = LongRecordCliOptions.OnLong("prompts");
    readonly Option<bool> _skipBad = new("--skip-bad") { Description = "skip malformed prompt records (counted) instead of stopping" };
    readonly Option<bool> _resume = new("--resume") { Description = "continue the run in --out from its latest checkpoint" };
    readonly Option<int> _threads = CommonOptions.Threads();
    readonly Option<long> _seed = CommonOptions.Seed();
    readonly Option<string> _device = CommonOptions.Device();
    readonly Option<string> _precision = CommonOptions.TrainingPrecision();
    readonly Option<bool> _distributed = DistributedCli.Flag();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _policy, _prompts, _reward, _out, _steps, _rollouts, _kl, _lr, _epochs, _mini, _clip, _maxTokens, _temperature, _sampleEvery, _checkpointEvery, _maxPrompt, _onLong, _skipBad, _resume, _threads, _seed, _device, _precision, _distributed })
            command.Options.Add(o);
    }

    public RlOptions Parse(ParseResult p) => new(
        p.GetValue(_policy)!, p.GetValue(_prompts)!, p.GetValue(_reward)!, p.GetValue(_out)!, Steps: p.GetValue(_steps),
        Rollouts: p.GetValue(_rollouts), KlCoef: p.GetValue(_kl), Lr: p.GetValue(_lr), Epochs: p.GetValue(_epochs), MiniBatch: p.GetValue(_mini),
        Clip: p.GetValue(_clip), MaxNewTokens: p.GetValue(_maxTokens), Temperature: p.GetValue(_temperature), SampleEvery: p.GetValue(_sampleEvery),
        CheckpointEvery: p.GetValue(_checkpointEvery), Resume: p.GetValue(_resume), Seed: p.GetValue(_seed), Threads: p.GetValue(_threads), Device: p.GetValue(_device)!,
        MaxPromptTokens: p.GetValue(_maxPrompt), OnLong: Data.LongRecords.Parse(p.GetValue(_onLong)!), SkipBad: p.GetValue(_skipBad),
        Precision: p.GetValue(_precision)!);

    /// <summary>Runs an RL trainer under a progress bar and prints the first and last iterations' figures.</summary>
    /// <summary>Runs an RL trainer in the job (see <see cref="DistributedCli"/>); rank 0 prints the summary.</summary>
    public int Train(ParseResult parse, string title, Func<IProgress<Core.ProgressUpdate>, Action<string>, Distributed.World, RlResult> run) =>
        DistributedCli.Run(parse, _distributed, world =>
        {
            var r = ProgressDisplay.Run(title, progress =>
                run(progress, world.IsMain ? line => Console.Out.WriteLine(line) : _ => { }, world));
            if (world.IsMain && r.History.Count > 0)
            {
                var (first, last) = (r.History[0], r.History[^1]);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"done: iteration {first.Step} → {last.Step}: mean reward {first.MeanReward:F4} → {last.MeanReward:F4}, KL {first.Kl:F4} → {last.Kl:F4}; model in {r.ModelDir}"));
            }
            return 0;
        });
}

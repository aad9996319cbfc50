using System.Globalization;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// The run-folder side PPO and GRPO share: a fresh or resumed run (<see cref="CheckpointManager"/>), AdamW at a constant rate
/// through the shared <see cref="StepRunner"/>, metrics.jsonl and reward.png, periodic checkpoints.
/// </summary>
public sealed class RlSession : IDisposable
{
    readonly RlOptions _o;
    readonly string _stage;
    readonly CheckpointManager _checkpoints;
    readonly MetricsLog _metrics;
    readonly Action<string>? _log;
    readonly List<RlStep> _history = [];

    RlSession(RlOptions o, string stage, nn.Module trainable, Action<string>? log)
    {
        _o = o;
        _stage = stage;
        _log = log;
        Run = new RunFolder(o.Out);
        _checkpoints = new CheckpointManager(Run, stage, o.KeepLast);
        _metrics = new MetricsLog(Run.MetricsPath);
        trainable.train();
        Optimizer = OptimizerFactory.AdamW(trainable, new AdamWSettings(o.Lr, 0.9, 0.95, 1e-8, 0.0));
        Runner = new StepRunner(trainable, Optimizer, new LrSchedule(o.Lr, o.Lr, 0, 1), o.GradClip);
    }

    public RunFolder Run { get; }
    public AdamW Optimizer { get; }
    public StepRunner Runner { get; }
    public TrainerState State { get; private set; } = null!;
    public IReadOnlyList<RlStep> History => _history;

    /// <summary>
    /// Opens the run: with <see cref="RlOptions.Resume"/> restores the policy, optimizer and state from the latest checkpoint
    /// (<paramref name="restore"/> reads the stage's own files); otherwise refuses a folder that already holds a run.
    /// </summary>
    public static RlSession Open(RlOptions o, string stage, nn.Module trainable, Gpt policy, Tokenizer tokenizer, Action<string> restore, Action<string>? log)
    {
        var session = new RlSession(o, stage, trainable, log);
        var run = session.Run;
        var fingerprint = TokenizerFingerprint.Of(tokenizer);
        if (o.Resume)
        {
            var latest = session._checkpoints.Latest() ?? throw new SharpLmException($"{run.CheckpointsDir}: no checkpoint to resume from");
            session.State = CheckpointManager.Restore(latest, policy, session.Optimizer);
            restore(latest);
            if (session.State.TokenizerSha256 != fingerprint) throw new SharpLmException($"{latest}: the checkpoint was trained with a different tokenizer than {o.Policy}");
            session._metrics.TruncateAfter(session.State.Step);
            log?.Invoke($"resuming from {latest} at step {session.State.Step}");
        }
        else
        {
            if (Directory.Exists(run.CheckpointsDir) || Directory.Exists(run.ModelDir))
                throw new SharpLmException($"{o.Out}: already holds a run; pass --resume to continue it or choose another --out");
            Directory.CreateDirectory(run.Root);
            if (File.Exists(run.MetricsPath)) File.Delete(run.MetricsPath);
            session.State = new TrainerState(stage, 0, 0, 0, o.Seed, new LrSchedule(o.Lr, o.Lr, 0, 1), TrainerState.CaptureTorchRng(), fingerprint, null, 0);
        }
        return session;
    }

    /// <summary>Records iteration <paramref name="s"/>; logs a sample every <see cref="RlOptions.SampleEvery"/> iterations and checkpoints every <see cref="RlOptions.CheckpointEvery"/>.</summary>
    void Record(RlStep s, RolloutBatch rollouts, long tokens, double seconds, Gpt policy, Tokenizer tokenizer, Action<string> files, bool timeUp)
    {
        _history.Add(s);
        State = State with { Step = s.Step, DataPosition = s.Step, TokensSeen = State.TokensSeen + tokens, ElapsedSeconds = State.ElapsedSeconds + seconds };
        _metrics.Append("train", s.Step, new Dictionary<string, JsonNode?>
        {
            ["reward"] = s.MeanReward, ["kl"] = s.Kl, ["entropy"] = s.Entropy, ["response_length"] = s.ResponseLength,
            ["clip_fraction"] = s.ClipFraction, ["loss"] = s.PolicyLoss, ["value_loss"] = s.ValueLoss, ["kl_coef"] = s.KlCoef, ["seconds"] = seconds,
        });
        foreach (var (kind, f) in s.ByKind ?? new Dictionary<string, KindFigures>())
            _metrics.Append("by_kind", s.Step, new Dictionary<string, JsonNode?>
            {
                ["prompt_kind"] = kind, ["reward"] = f.Reward, ["kl"] = f.Kl, ["entropy"] = f.Entropy, ["response_length"] = f.Length, ["rows"] = f.Rows,
            });
        bool last = s.Step == _o.Steps || timeUp;
        if (s.Step % _o.SampleEvery == 0 || last)
        {
            _log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"step {s.Step}/{_o.Steps}: reward {s.MeanReward:F4}, KL {s.Kl:F4}, entropy {s.Entropy:F3}, length {s.ResponseLength:F1}, clip {s.ClipFraction:P1}, value loss {s.ValueLoss:F4}"));
            _log?.Invoke($"  sample: {rollouts.Prompts[0].Prompt[^1].Content} → {rollouts.Generations[0].Text} (reward {rollouts.Scores[0].ToString("F3", CultureInfo.InvariantCulture)})");
        }
        if (s.Step % _o.CheckpointEvery == 0 || last)
        {
            RewardChart.Render(_metrics, Path.Combine(Run.Root, RewardChart.FileName), $"{_stage} {Path.GetFileName(Path.GetFullPath(Run.Root))}");
            RewardChart.RenderByKind(_metrics, Run.Root, _stage);
            State = _checkpoints.Save(policy, tokenizer, Optimizer, State with { TorchRngState = TrainerState.CaptureTorchRng() }, null, files);
        }
    }

    /// <summary>
    /// The iterations from the current state to <see cref="RlOptions.Steps"/>: rollouts for <paramref name="prompts"/>(step)
    /// through the batched generator, <paramref name="update"/> on them, then metrics, samples and checkpoints.
    /// </summary>
    public RlResult Loop(PolicySetup setup, Func<long, List<Data.PromptRecord>> prompts, Func<RolloutBatch, long, RlStep> update,
        Action<string> files, IProgress<ProgressUpdate>? progress)
    {
        var generator = new Inference.Generator(setup.Policy, setup.Tokenizer);
        for (long step = State.Step; step < _o.Steps; step++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var rollouts = Rollouts.Collect(generator, setup.Template, prompts(step), setup.Reward, _o, step);
            var s = update(rollouts, step);
            bool timeUp = _o.TimeLimitSeconds is { } limit && State.ElapsedSeconds + clock.Elapsed.TotalSeconds >= limit;
            Record(s, rollouts, rollouts.Rows.Sum(r => r.Prompt.Length + r.Response.Length), clock.Elapsed.TotalSeconds, setup.Policy, setup.Tokenizer, files, timeUp);
            progress?.Report(new ProgressUpdate(_stage, step + 1, _o.Steps, "iterations",
                string.Create(CultureInfo.InvariantCulture, $"reward {s.MeanReward:F3} KL {s.Kl:F3} len {s.ResponseLength:F1}")));
            if (timeUp) break;
        }
        return new RlResult(Run.Root, Run.ModelDir, _history);
    }

    /// <summary>
    /// <see cref="RlOptions.Epochs"/> passes over <paramref name="rows"/> rollouts in seeded mini-batches, one optimizer step
    /// each through the shared <see cref="StepRunner"/>; <paramref name="loss"/> gets the mini-batch's row indices. Returns the
    /// number of updates. <paramref name="runner"/> is another model's (PPO's critic); the policy's by default.
    /// </summary>
    public int Updates(long step, int rows, Func<long[], Tensor> loss, StepRunner? runner = null)
    {
        runner ??= Runner;
        int updates = 0;
        for (int epoch = 0; epoch < _o.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, rows).Select(i => (long)i).ToArray();
            new Random(Seeds.Derive(_o.Seed, step, epoch + 1)).Shuffle(order);
            foreach (var chunk in order.Chunk(_o.MiniBatch))
            {
                var result = runner.Step(step, 1, _ => loss(chunk)); // constant rate: the step only labels the update
                if (!result.IsFinite)
                    throw new SharpLmException($"{_stage} loss became {result.Loss.ToString(CultureInfo.InvariantCulture)} at iteration {step + 1}: training diverged (try a lower --lr)");
                updates++;
            }
        }
        return updates;
    }

    public void Dispose() => Optimizer.Dispose();
}

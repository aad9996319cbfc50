using System.Globalization;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Distributed;
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
/// On several ranks (<see cref="World"/>) each rank generates and scores its share of every iteration's prompts, the
/// rollouts are gathered so every rank holds the whole batch, and each update's mini-batch is split over the ranks;
/// rank 0 alone writes the run folder and reports.
/// </summary>
public sealed class RlSession : IDisposable
{
    readonly RlOptions _o;
    readonly string _stage;
    readonly CheckpointManager _checkpoints;
    readonly MetricsLog _metrics;
    readonly Action<string>? _log;
    readonly List<RlStep> _history = [];
    readonly World _world;

    RlSession(RlOptions o, string stage, nn.Module trainable, Action<string>? log, World world)
    {
        _o = o;
        _stage = stage;
        _world = world;
        _log = world.IsMain ? log : null;
        Run = new RunFolder(o.Out);
        _checkpoints = new CheckpointManager(Run, stage, o.KeepLast);
        _metrics = new MetricsLog(Run.MetricsPath);
        trainable.train();
        Optimizer = OptimizerFactory.AdamW(trainable, new AdamWSettings(o.Lr, 0.9, 0.95, 1e-8, 0.0));
        Runner = new StepRunner(trainable, Optimizer, new LrSchedule(o.Lr, o.Lr, 0, 1), o.GradClip, world: world);
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
    public static RlSession Open(RlOptions o, string stage, nn.Module trainable, Gpt policy, Tokenizer tokenizer, Action<string> restore, Action<string>? log,
        PrecisionChoice precision, World? world = null)
    {
        world ??= World.Single;
        world.Agree("options", System.Text.Json.JsonSerializer.Serialize(o));
        if (o.MiniBatch % world.Size != 0)
            throw new SharpLmException($"--mini-batch {o.MiniBatch} does not divide evenly over {world.Size} ranks");
        var session = new RlSession(o, stage, trainable, log, world);
        log = session._log;
        var run = session.Run;
        var fingerprint = TokenizerFingerprint.Of(tokenizer);
        var resumeFrom = o.Resume ? session._checkpoints.Latest() : null;
        if (o.Resume && resumeFrom is null)
            log?.Invoke($"--resume: {run.CheckpointsDir} holds no checkpoint yet, so training starts from step 0");
        log?.Invoke($"precision {precision.Reason}");
        if (resumeFrom is { } latest)
        {
            session.State = CheckpointManager.Restore(latest, policy, session.Optimizer) with { Precision = precision };
            restore(latest);
            if (session.State.TokenizerSha256 != fingerprint) throw new SharpLmException($"{latest}: the checkpoint was trained with a different tokenizer than {o.Policy}");
            session.State = session.State with { WorldSize = world.Size };
            if (world.IsMain) session._metrics.TruncateAfter(session.State.Step);
            log?.Invoke($"resuming from {latest} at step {session.State.Step}");
        }
        else
        {
            if (Directory.Exists(run.CheckpointsDir) || Directory.Exists(run.ModelDir))
                throw new SharpLmException($"{o.Out}: already holds a run; pass --resume to continue it or choose another --out");
            Directory.CreateDirectory(run.Root);
            if (world.IsMain && File.Exists(run.MetricsPath)) File.Delete(run.MetricsPath);
            session.State = new TrainerState(stage, 0, 0, 0, o.Seed, new LrSchedule(o.Lr, o.Lr, 0, 1),
                TrainerState.CaptureTorchRng(), fingerprint, null, 0, precision, world.Size);
            if (world.IsMain) session._metrics.Append("precision", 0, Pretrainer.PrecisionFields(precision, MatmulPeak.Measure(o.Threads)));
        }
        world.Broadcast(trainable); // identical weights on every rank
        return session;
    }

    /// <summary>Records iteration <paramref name="s"/>; logs a sample every <see cref="RlOptions.SampleEvery"/> iterations and checkpoints every <see cref="RlOptions.CheckpointEvery"/>.</summary>
    void Record(RlStep s, RolloutBatch rollouts, long tokens, double seconds, Gpt policy, Tokenizer tokenizer, Action<string> files, bool timeUp)
    {
        _history.Add(s);
        State = State with { Step = s.Step, DataPosition = s.Step, TokensSeen = State.TokensSeen + tokens, ElapsedSeconds = State.ElapsedSeconds + seconds };
        if (!_world.IsMain) return;
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
        _world.Agree("prompts", string.Join('\n', setup.Prompts.Select(p => System.Text.Json.JsonSerializer.Serialize(p.Prompt))));
        if (!_world.IsMain) progress = null;
        // Rank r samples with its own seed (rank 0 with the run's), so ranks given the same prompt answer differently.
        var sampling = _world.Rank == 0 ? _o : _o with { Seed = Seeds.Derive(_o.Seed, -1, _world.Rank) };
        for (long step = State.Step; step < _o.Steps; step++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var all = prompts(step);
            var (first, count) = _world.Share(all.Count, "prompts (× --group answers) per iteration");
            var rollouts = Rollouts.Collect(generator, setup.Template, all.GetRange(first, count), setup.Reward, sampling, step);
            if (_world.IsDistributed) rollouts = Gather(rollouts, all, setup.Template);
            var s = update(rollouts, step);
            bool timeUp = _o.TimeLimitSeconds is { } limit && _world.Any(State.ElapsedSeconds + clock.Elapsed.TotalSeconds >= limit);
            Record(s, rollouts, rollouts.Rows.Sum(r => r.Prompt.Length + r.Response.Length), clock.Elapsed.TotalSeconds, setup.Policy, setup.Tokenizer, files, timeUp);
            progress?.Report(new ProgressUpdate(_stage, step + 1, _o.Steps, "iterations",
                string.Create(CultureInfo.InvariantCulture, $"reward {s.MeanReward:F3} KL {s.Kl:F3} len {s.ResponseLength:F1}")));
            if (timeUp) break;
        }
        return new RlResult(Run.Root, Run.ModelDir, _history);
    }

    /// <summary>Every rank's rollouts, in rank order: the whole iteration's batch for <paramref name="prompts"/>.</summary>
    RolloutBatch Gather(RolloutBatch mine, List<Data.PromptRecord> prompts, ChatTemplate template)
    {
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
            for (int i = 0; i < mine.Rows.Count; i++)
            {
                var g = mine.Generations[i];
                w.Write(mine.Scores[i]);
                w.Write((int)g.StopReason);
                w.Write(g.Text);
                w.Write(g.Tokens.Length);
                foreach (var t in g.Tokens) w.Write(t);
            }
        var generations = new List<Inference.Generation>(prompts.Count);
        var scores = new List<float>(prompts.Count);
        foreach (var part in _world.AllGather(bytes.ToArray()))
        {
            using var r = new BinaryReader(new MemoryStream(part), System.Text.Encoding.UTF8);
            while (r.BaseStream.Position < part.Length)
            {
                scores.Add(r.ReadSingle());
                var stop = (Inference.StopReason)r.ReadInt32();
                var text = r.ReadString();
                var tokens = new int[r.ReadInt32()];
                for (int t = 0; t < tokens.Length; t++) tokens[t] = r.ReadInt32();
                generations.Add(new Inference.Generation(tokens, text, stop, null, null));
            }
        }
        var rows = prompts.Select((p, i) => new PromptResponse(template.RenderForGeneration(p.Prompt), generations[i].Tokens)).ToList();
        return new RolloutBatch(prompts, rows, generations, scores.ToArray());
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
                // Constant rate: the step only labels the update. Each rank takes an equal part of the mini-batch.
                int part = chunk.Length / _world.Size;
                if (part * _world.Size != chunk.Length)
                    throw new SharpLmException($"a mini-batch of {chunk.Length} rollouts does not divide evenly over {_world.Size} ranks; " +
                                               "choose --rollouts (× --group) and --mini-batch as multiples of the rank count");
                var result = runner.Step(step, _world.Size, i => loss(chunk[(i * part)..((i + 1) * part)]));
                if (!result.IsFinite)
                    throw new SharpLmException($"{_stage} loss became {result.Loss.ToString(CultureInfo.InvariantCulture)} at iteration {step + 1}: training diverged (try a lower --lr)");
                updates++;
            }
        }
        return updates;
    }

    public void Dispose() => Optimizer.Dispose();
}

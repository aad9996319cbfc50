using System.Globalization;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Distributed;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>Loss of a batch of pairs (chosen rows then rejected rows in one <see cref="SequenceBatch"/>) and each pair's margin (B).</summary>
public delegate PairTerms PairLoss(IReadOnlyList<EncodedPair> pairs, SequenceBatch batch);

/// <summary>A pair batch's loss, each pair's margin (B), and figures to log (means over the batch, e.g. DPO's log-probabilities).</summary>
public sealed record PairTerms(Tensor Loss, Tensor Margins, IReadOnlyDictionary<string, double>? Figures = null);

/// <summary>
/// The loop the reward model and DPO share — they differ only in their loss: seeded pair batches drawn from (seed, step),
/// the shared <see cref="StepRunner"/>, held-out accuracy and margin every <see cref="PreferenceTrainOptions.EvalEvery"/>
/// steps into metrics.jsonl and loss.png, checkpoints through <see cref="CheckpointManager"/> (resumable).
/// On several ranks (<see cref="World"/>) each rank takes an equal share of every step's pairs; rank 0 alone evaluates,
/// reports and writes the run folder.
/// </summary>
public sealed class PairTrainer(string stage, IProgress<ProgressUpdate>? progress = null, Action<string>? log = null,
    World? world = null)
{
    readonly World _world = world ?? World.Single;

    /// <summary>
    /// Reads, encodes and splits the pairs by prompt: every pair of a held-out prompt is held out (about
    /// <see cref="PreferenceTrainOptions.ValFraction"/> of the pairs), so held-out accuracy is measured on prompts never trained on.
    /// <paramref name="log"/> gets one line on the pairs that did not fit (see <see cref="PreferenceTrainOptions.OnLong"/>).
    /// </summary>
    public static (List<EncodedPair> Train, List<EncodedPair> Val) LoadPairs(PreferenceTrainOptions o, ChatTemplate template, Tokenizer tokenizer,
        int context, Action<string>? log = null)
    {
        var read = PreferenceReader.ReadSet(o.Data, o.SkipBad, out int undecided);
        if (undecided > 0) log?.Invoke($"skipped {undecided} tie / both-bad votes (they prefer neither answer)");
        if (read.Describe() is { } skippedBad) log?.Invoke(skippedBad);
        var pairs = read.Items;
        SharpLmException.Require(o.MaxPromptTokens is not { } m || m < context, "--max-prompt-tokens",
            $"must be below the model's context of {context} tokens (got {o.MaxPromptTokens})");
        var (encoded, counts) = PairFit.Apply(pairs, template, tokenizer, context, o.MaxPromptTokens, o.OnLong);
        int limit = o.MaxPromptTokens ?? context;
        log?.Invoke(counts.Describe("pairs", limit));
        var rng = new Random(unchecked((int)o.Seed));
        rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(encoded));
        if (o.MaxPairs is { } max) encoded = encoded.Take(max).ToList();
        if (encoded.Count < 2)
            throw new SharpLmException($"{string.Join(", ", o.Data)}: need at least 2 preference pairs (one to train, one to hold out); {counts.Describe("pairs", limit)}");
        int target = Math.Clamp((int)Math.Round(encoded.Count * o.ValFraction), 1, encoded.Count - 1);
        var heldPrompts = new HashSet<string>();
        int held = 0;
        foreach (var group in encoded.GroupBy(PromptKey).Reverse()) // groups in the shuffled order of their first pair, taken from the end
        {
            if (held >= target || held + group.Count() > encoded.Count - 1) continue;
            heldPrompts.Add(group.Key);
            held += group.Count();
        }
        return ([.. encoded.Where(e => !heldPrompts.Contains(PromptKey(e)))], [.. encoded.Where(e => heldPrompts.Contains(PromptKey(e)))]);
    }

    static string PromptKey(EncodedPair p) => string.Join(',', p.Chosen.Prompt);

    /// <summary>
    /// The compute precision of a preference run (on resume, the one its checkpoint recorded), set on every model given —
    /// DPO's reference log-probabilities must be computed in the precision the policy trains in.
    /// </summary>
    public static PrecisionChoice ChoosePrecision(PreferenceTrainOptions o, World? world, params Gpt[] models)
    {
        var latest = o.Resume ? new CheckpointManager(new RunFolder(o.Out), "").Latest() : null;
        var config = models[0].Config;
        var choice = ComputePrecision.Agree(world ?? World.Single, ComputePrecision.ForRun(o.Precision,
            latest is null ? null : TrainerState.Load(latest), config, o.BatchSize * 2 * config.ContextLength, o.Threads));
        foreach (var model in models) model.ComputeType = choice.Type;
        return choice;
    }

    /// <summary>Indices of the pairs of 0-based <paramref name="step"/>: a function of (seed, step) only, so a resumed run draws the same.</summary>
    public static int[] BatchIndices(int count, int batchSize, long seed, long step)
    {
        var rng = new Random(Seeds.Derive(seed, step));
        var all = Enumerable.Range(0, count).ToArray();
        rng.Shuffle(all);
        return all.Take(Math.Min(batchSize, count)).ToArray();
    }

    /// <summary>Mean loss, pairwise accuracy (margin &gt; 0) and mean margin over <paramref name="pairs"/>, without gradients.</summary>
    public static PairEvaluation Evaluate(IReadOnlyList<EncodedPair> pairs, PairLoss loss, int batchSize, Device device)
    {
        using var _ = no_grad();
        double lossSum = 0, marginSum = 0;
        int wins = 0;
        foreach (var chunk in pairs.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = EncodedPair.Batch(chunk, device);
            var terms = loss(chunk, batch);
            var (l, m) = (terms.Loss, terms.Margins);
            lossSum += l.item<float>() * chunk.Length;
            var margins = m.cpu().data<float>().ToArray();
            wins += margins.Count(x => x > 0);
            marginSum += margins.Sum();
        }
        return new PairEvaluation((double)wins / pairs.Count, marginSum / pairs.Count, lossSum / pairs.Count, pairs.Count);
    }

    /// <summary>
    /// Trains <paramref name="trainable"/> (whose language-model part is <paramref name="trunk"/>) on <paramref name="train"/>;
    /// <paramref name="files"/> adds the stage's own files to each checkpoint and <paramref name="restore"/> reads them back on resume.
    /// </summary>
    public PreferenceTrainResult Run(PreferenceTrainOptions o, nn.Module trainable, Gpt trunk, Tokenizer tokenizer,
        IReadOnlyList<EncodedPair> train, IReadOnlyList<EncodedPair> val, PairLoss loss, Action<string> files, Action<string> restore, Device device,
        PrecisionChoice precision)
    {
        _world.Agree("options", System.Text.Json.JsonSerializer.Serialize(o));
        _world.Agree("data", DataFingerprint.Of(train.Concat(val)
            .SelectMany(p => new[] { p.Chosen.Prompt, p.Chosen.Response, p.Rejected.Prompt, p.Rejected.Response })));
        var (_, pairsPerRank) = _world.Share(Math.Min(o.BatchSize, train.Count), $"--batch-size {o.BatchSize} pairs per step");
        bool main = _world.IsMain;
        var (report, say) = main ? (progress, log) : (null, null);
        var run = new RunFolder(o.Out);
        var checkpoints = new CheckpointManager(run, stage, o.KeepLast);
        var resumeFrom = o.Resume ? checkpoints.Latest() : null;
        if (o.Resume && resumeFrom is null)
            say?.Invoke($"--resume: {run.CheckpointsDir} holds no checkpoint yet, so training starts from step 0");
        if (resumeFrom is null && (Directory.Exists(run.CheckpointsDir) || Directory.Exists(run.ModelDir)))
            throw new SharpLmException($"{o.Out}: already holds a run; pass --resume to continue it or choose another --out");
        if (main) Directory.CreateDirectory(run.Root); // the data was read and encoded before this call: no bad input is left
        say?.Invoke($"precision {precision.Reason}");

        trainable.train();
        using var optimizer = OptimizerFactory.AdamW(trainable, new AdamWSettings(o.Lr, 0.9, 0.95, 1e-8, o.WeightDecay));
        var schedule = new LrSchedule(o.Lr, o.MinLr ?? o.Lr / 10, o.WarmupSteps, o.Steps);
        using var runner = new StepRunner(trainable, optimizer, schedule, o.GradClip, world: _world);
        var metrics = new MetricsLog(run.MetricsPath);
        var fingerprint = TokenizerFingerprint.Of(tokenizer);
        TrainerState state;
        if (resumeFrom is not null)
        {
            state = CheckpointManager.Restore(resumeFrom, trunk, optimizer);
            restore(resumeFrom);
            if (state.TokenizerSha256 != fingerprint) throw new SharpLmException($"{resumeFrom}: the checkpoint was trained with a different tokenizer than {o.Base}");
            state = state with { WorldSize = _world.Size };
            if (main) metrics.TruncateAfter(state.Step);
            say?.Invoke($"resuming from {resumeFrom} at step {state.Step}");
        }
        else
        {
            state = new TrainerState(stage, 0, 0, 0, o.Seed, schedule, TrainerState.CaptureTorchRng(), fingerprint, null, 0,
                precision, _world.Size);
            if (main && File.Exists(run.MetricsPath)) File.Delete(run.MetricsPath);
            if (main) metrics.Append("precision", 0, Pretrainer.PrecisionFields(precision, MatmulPeak.Measure(o.Threads)));
        }
        _world.Broadcast(trainable); // identical weights on every rank

        var before = main ? Evaluate(val, loss, o.BatchSize, device) : new PairEvaluation(double.NaN, double.NaN, double.NaN, val.Count);
        say?.Invoke(Line($"{stage}: {train.Count} training pairs, {val.Count} held out; before: accuracy {before.Accuracy:P1}, mean margin {before.MeanMargin:F4}, loss {before.Loss:F4}"));
        var after = before;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (long step = state.Step; step < o.Steps; step++)
        {
            var pairs = BatchIndices(train.Count, o.BatchSize, o.Seed, step).Select(i => train[i]).ToList();
            double accuracy = 0, margin = 0;
            IReadOnlyDictionary<string, double>? figures = null;
            var result = runner.Step(step, _world.Size, i =>
            {
                var mine = pairs.GetRange(i * pairsPerRank, pairsPerRank);
                var batch = EncodedPair.Batch(mine, device);
                var terms = loss(mine, batch);
                accuracy = terms.Margins.gt(0).to_type(ScalarType.Float32).mean().item<float>();
                margin = terms.Margins.mean().item<float>();
                figures = terms.Figures;
                return terms.Loss;
            });
            if (_world.IsDistributed) (accuracy, margin) = (_world.Sum(accuracy) / _world.Size, _world.Sum(margin) / _world.Size);
            if (!result.IsFinite) throw new SharpLmException($"loss became {result.Loss} at step {step + 1}: training diverged (try a lower --lr)");
            state = state with { Step = step + 1, DataPosition = step + 1, TokensSeen = state.TokensSeen + pairs.Sum(p => p.Chosen.Prompt.Length + p.Chosen.Response.Length + p.Rejected.Prompt.Length + p.Rejected.Response.Length) };
            if (main)
            {
                var row = new Dictionary<string, JsonNode?>
                {
                    ["loss"] = result.Loss, ["accuracy"] = accuracy, ["margin"] = margin, ["lr"] = result.Lr, ["grad_norm"] = result.GradNorm,
                };
                foreach (var (key, value) in figures ?? new Dictionary<string, double>()) row[key] = value;
                metrics.Append("train", step + 1, row);
            }
            report?.Report(new ProgressUpdate(stage, step + 1, o.Steps, "steps", Line($"loss {result.Loss:F4} acc {accuracy:P0} margin {margin:F3}")));
            bool timeUp = o.TimeLimitSeconds is { } limit && _world.Any(state.ElapsedSeconds + clock.Elapsed.TotalSeconds >= limit);
            if (((step + 1) % o.EvalEvery == 0 || step + 1 == o.Steps || timeUp) && main)
            {
                after = Evaluate(val, loss, o.BatchSize, device);
                metrics.Append("eval", step + 1, new Dictionary<string, JsonNode?>
                {
                    ["val_loss"] = after.Loss, ["val_accuracy"] = after.Accuracy, ["val_margin"] = after.MeanMargin,
                });
                say?.Invoke(Line($"step {step + 1}/{o.Steps}: train loss {result.Loss:F4}; held out: accuracy {after.Accuracy:P1}, mean margin {after.MeanMargin:F4}, loss {after.Loss:F4}"));
                LossChart.Render(metrics, run.ChartPath, $"{stage} {Path.GetFileName(Path.GetFullPath(run.Root))}");
                state = checkpoints.Save(trunk, tokenizer, optimizer,
                    state with { ElapsedSeconds = state.ElapsedSeconds + clock.Elapsed.TotalSeconds, TorchRngState = TrainerState.CaptureTorchRng() },
                    after.Loss, files);
                clock.Restart();
            }
            if (timeUp) break;
        }
        return new PreferenceTrainResult(run.Root, run.ModelDir, state.Step, before, after, train.Count);
    }

    static string Line(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

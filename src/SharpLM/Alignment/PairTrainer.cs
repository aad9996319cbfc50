using System.Globalization;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Data;
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
/// </summary>
public sealed class PairTrainer(string stage, IProgress<ProgressUpdate>? progress = null, Action<string>? log = null)
{
    /// <summary>
    /// Reads, encodes and splits the pairs by prompt: every pair of a held-out prompt is held out (about
    /// <see cref="PreferenceTrainOptions.ValFraction"/> of the pairs), so held-out accuracy is measured on prompts never trained on.
    /// </summary>
    public static (List<EncodedPair> Train, List<EncodedPair> Val) LoadPairs(PreferenceTrainOptions o, ChatTemplate template, Tokenizer tokenizer, int context)
    {
        var pairs = PreferenceReader.Read(o.Data).ToList();
        var rng = new Random(unchecked((int)o.Seed));
        rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pairs));
        if (o.MaxPairs is { } max) pairs = pairs.Take(max).ToList();
        if (pairs.Count < 2) throw new SharpLmException($"{string.Join(", ", o.Data)}: need at least 2 preference pairs (one to train, one to hold out)");
        int target = Math.Clamp((int)Math.Round(pairs.Count * o.ValFraction), 1, pairs.Count - 1);
        var heldPrompts = new HashSet<string>();
        int held = 0;
        foreach (var group in pairs.GroupBy(PromptKey).Reverse()) // groups in the shuffled order of their first pair, taken from the end
        {
            if (held >= target || held + group.Count() > pairs.Count - 1) continue;
            heldPrompts.Add(group.Key);
            held += group.Count();
        }
        var encoded = pairs.Select(p => (Val: heldPrompts.Contains(PromptKey(p)), Pair: EncodedPair.From(p, template, tokenizer, context))).ToList();
        return ([.. encoded.Where(e => !e.Val).Select(e => e.Pair)], [.. encoded.Where(e => e.Val).Select(e => e.Pair)]);
    }

    static string PromptKey(PreferencePair p) => string.Join("\u0001", p.Prompt.Select(m => m.Role + "\u0002" + m.Content));

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
        IReadOnlyList<EncodedPair> train, IReadOnlyList<EncodedPair> val, PairLoss loss, Action<string> files, Action<string> restore, Device device)
    {
        var run = new RunFolder(o.Out);
        var checkpoints = new CheckpointManager(run, stage, o.KeepLast);
        var resumeFrom = o.Resume ? checkpoints.Latest() ?? throw new SharpLmException($"{run.CheckpointsDir}: no checkpoint to resume from") : null;
        if (!o.Resume && (Directory.Exists(run.CheckpointsDir) || Directory.Exists(run.ModelDir)))
            throw new SharpLmException($"{o.Out}: already holds a run; pass --resume to continue it or choose another --out");
        Directory.CreateDirectory(run.Root);

        trainable.train();
        using var optimizer = OptimizerFactory.AdamW(trainable, new AdamWSettings(o.Lr, 0.9, 0.95, 1e-8, o.WeightDecay));
        var schedule = new LrSchedule(o.Lr, o.MinLr ?? o.Lr / 10, o.WarmupSteps, o.Steps);
        var runner = new StepRunner(trainable, optimizer, schedule, o.GradClip);
        var metrics = new MetricsLog(run.MetricsPath);
        var fingerprint = TokenizerFingerprint.Of(tokenizer);
        TrainerState state;
        if (resumeFrom is not null)
        {
            state = CheckpointManager.Restore(resumeFrom, trunk, optimizer);
            restore(resumeFrom);
            if (state.TokenizerSha256 != fingerprint) throw new SharpLmException($"{resumeFrom}: the checkpoint was trained with a different tokenizer than {o.Base}");
            metrics.TruncateAfter(state.Step);
            log?.Invoke($"resuming from {resumeFrom} at step {state.Step}");
        }
        else
        {
            state = new TrainerState(stage, 0, 0, 0, o.Seed, schedule, TrainerState.CaptureTorchRng(), fingerprint, null, 0);
            if (File.Exists(run.MetricsPath)) File.Delete(run.MetricsPath);
        }

        var before = Evaluate(val, loss, o.BatchSize, device);
        log?.Invoke(Line($"{stage}: {train.Count} training pairs, {val.Count} held out; before: accuracy {before.Accuracy:P1}, mean margin {before.MeanMargin:F4}, loss {before.Loss:F4}"));
        var after = before;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (long step = state.Step; step < o.Steps; step++)
        {
            var pairs = BatchIndices(train.Count, o.BatchSize, o.Seed, step).Select(i => train[i]).ToList();
            double accuracy = 0, margin = 0;
            IReadOnlyDictionary<string, double>? figures = null;
            var result = runner.Step(step, 1, _ =>
            {
                var batch = EncodedPair.Batch(pairs, device);
                var terms = loss(pairs, batch);
                accuracy = terms.Margins.gt(0).to_type(ScalarType.Float32).mean().item<float>();
                margin = terms.Margins.mean().item<float>();
                figures = terms.Figures;
                return terms.Loss;
            });
            if (!result.IsFinite) throw new SharpLmException($"loss became {result.Loss} at step {step + 1}: training diverged (try a lower --lr)");
            state = state with { Step = step + 1, DataPosition = step + 1, TokensSeen = state.TokensSeen + pairs.Sum(p => p.Chosen.Prompt.Length + p.Chosen.Response.Length + p.Rejected.Prompt.Length + p.Rejected.Response.Length) };
            var row = new Dictionary<string, JsonNode?>
            {
                ["loss"] = result.Loss, ["accuracy"] = accuracy, ["margin"] = margin, ["lr"] = result.Lr, ["grad_norm"] = result.GradNorm,
            };
            foreach (var (key, value) in figures ?? new Dictionary<string, double>()) row[key] = value;
            metrics.Append("train", step + 1, row);
            progress?.Report(new ProgressUpdate(stage, step + 1, o.Steps, "steps", Line($"loss {result.Loss:F4} acc {accuracy:P0} margin {margin:F3}")));
            bool timeUp = o.TimeLimitSeconds is { } limit && state.ElapsedSeconds + clock.Elapsed.TotalSeconds >= limit;
            if ((step + 1) % o.EvalEvery == 0 || step + 1 == o.Steps || timeUp)
            {
                after = Evaluate(val, loss, o.BatchSize, device);
                metrics.Append("eval", step + 1, new Dictionary<string, JsonNode?>
                {
                    ["val_loss"] = after.Loss, ["val_accuracy"] = after.Accuracy, ["val_margin"] = after.MeanMargin,
                });
                log?.Invoke(Line($"step {step + 1}/{o.Steps}: train loss {result.Loss:F4}; held out: accuracy {after.Accuracy:P1}, mean margin {after.MeanMargin:F4}, loss {after.Loss:F4}"));
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

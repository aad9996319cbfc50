using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Distributed;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// Supervised fine-tuning: from a pretrained model to one that answers in the chat format. Conversations are rendered with
/// the <see cref="ChatTemplate"/> (loss mask on assistant tokens only), fitted to the context, packed into rows (attention kept
/// inside each conversation) and trained with the shared <see cref="StepRunner"/>. Optionally a share of every batch is plain
/// pretraining text with full next-token loss (replay), so fine-tuning does not wash out what the base model knew; the
/// validation loss on held-out pretraining text before and after is logged as "retention".
/// Batches are a pure function of (seed, step), so a resumed run continues exactly as the uninterrupted one would.
/// On several ranks (<see cref="World"/>) each rank trains on its micro-batches of every step; rank 0 alone evaluates and
/// writes the run folder.
/// </summary>
public sealed class SftTrainer
{
    public const string Stage = "sft";

    readonly SftOptions _o;
    readonly IProgress<ProgressUpdate>? _progress;
    readonly Action<string>? _log;
    readonly World _world;

    /// <param name="world">The ranks training together; null: this process alone. Progress and log lines come from rank 0 only.</param>
    public SftTrainer(SftOptions options, IProgress<ProgressUpdate>? progress = null, World? world = null, Action<string>? log = null)
    {
        _o = options.Validate();
        _world = world ?? World.Single;
        _progress = _world.IsMain ? progress : null;
        _log = _world.IsMain ? log : null;
    }

    public SftResult Run()
    {
        _world.Agree("options", JsonSerializer.Serialize(_o));
        var settings = _o.Torch ?? new TorchSettings();
        var device = TorchRuntime.Apply(settings with { Threads = _world.Threads(settings.Threads) });
        using var loaded = RunFolder.LoadModel(_o.BaseModel, device);
        var (model, tokenizer) = (loaded.Model, loaded.Tokenizer);
        var template = new ChatTemplate(tokenizer);

        // Data: read, render, split, fit.
        var read = ConversationReader.ReadAll(_o.Data, _o.SkipBad);
        var (rendered, sources, renderSkips) = Render(read.Conversations, template);
        int maxTokens = model.Config.ContextLength + 1;
        int assistantStart = tokenizer.SpecialId(SpecialTokens.AssistantStart);
        if (_o.OnLong == LongRecordPolicy.Error) ContextFit.Apply(rendered, maxTokens, _o.OnLong, tokenizer.BosId, assistantStart, sources);
        var (trainSet, valSet) = Split(rendered, settings.Seed);
        var (train, fitTrain) = ContextFit.Apply(trainSet, maxTokens, _o.OnLong, tokenizer.BosId, assistantStart);
        var (val, fitVal) = ContextFit.Apply(valSet, maxTokens, _o.OnLong, tokenizer.BosId, assistantStart);
        var fit = new FitCounts(fitTrain.Kept + fitVal.Kept, fitTrain.Truncated + fitVal.Truncated, fitTrain.Dropped + fitVal.Dropped);
        if (train.Count == 0) throw new SharpLmException($"no training conversation fits the model's context: {fit.Describe("conversations", maxTokens)}");
        _world.Agree("data", DataFingerprint.Of(train.Concat(val).Select(c => c.Ids)));

        // Rows are as long as the longest conversation needs; replayed text uses the whole context.
        var replay = _o.Replay is { Count: > 0 }
            ? new ReplayText(CorpusReader.ReadDocuments(_o.Replay).Select(d => d.Text), tokenizer)
            : null;
        int rowTokens = replay is null ? Math.Min(maxTokens, train.Concat(val).Max(c => c.Ids.Length)) : maxTokens;
        int rowsPerStep = Math.Max(1, _o.BatchTokens / (rowTokens - 1));
        // Replay text with fraction 0 is only measured (retention), never trained on.
        int replayRows = replay is null || _o.ReplayFraction == 0
            ? 0
            : Math.Max(1, Math.Min(rowsPerStep - 1, (int)Math.Round(rowsPerStep * _o.ReplayFraction)));
        int sftRows = Math.Max(1, rowsPerStep - replayRows);
        int microRows = _o.MicroBatchRows > 0 ? _o.MicroBatchRows : sftRows + replayRows;
        int rowsPerBatch = sftRows + replayRows;
        if (_world.IsDistributed && (rowsPerBatch % microRows != 0 || rowsPerBatch / microRows % _world.Size != 0))
            throw new SharpLmException(
                $"{rowsPerBatch} rows per step (--batch-tokens {_o.BatchTokens} / {rowTokens - 1} tokens per row) do not split " +
                $"evenly into micro-batches of --batch-size {microRows} rows over {_world.Size} ranks; choose --batch-size and " +
                $"--batch-tokens so that rows per step is a multiple of batch size × {_world.Size}");

        var epochRows = new EpochRows(train, rowTokens, tokenizer.BosId, settings.Seed);
        long stepsPerEpoch = (epochRows.For(0).Count + sftRows - 1) / sftRows;
        long totalSteps = _o.Steps ?? stepsPerEpoch * _o.Epochs;
        var schedule = new LrSchedule(_o.Lr, 0.0, _o.WarmupSteps, totalSteps, ScheduleKind.WarmupStableDecay, DecayFraction: 1.0);
        var valRows = SftPacker.Pack(val, rowTokens, tokenizer.BosId).Take(_o.EvalRows).ToList();
        var retentionRows = replay?.HeldOutRows(rowTokens, _o.EvalRows) ?? [];

        // Run folder, optimizer, resume.
        var run = new RunFolder(_o.OutDir);
        var manager = new CheckpointManager(run, Stage);
        var resumeFrom = _o.Resume ? manager.Latest() : null;
        if (_o.Resume && resumeFrom is null)
            _log?.Invoke($"--resume: {run.CheckpointsDir} holds no checkpoint yet, so training starts from step 0");
        var precision = ComputePrecision.Agree(_world, ComputePrecision.ForRun(_o.Precision,
            resumeFrom is null ? null : TrainerState.Load(resumeFrom), model.Config, rowsPerStep * rowTokens, settings.Threads));
        model.ComputeType = precision.Type;
        _log?.Invoke($"precision {precision.Reason}");
        Directory.CreateDirectory(run.Root);
        var metrics = new MetricsLog(run.MetricsPath);
        bool main = _world.IsMain;
        var optimizer = OptimizerFactory.AdamW(model, new AdamWSettings(_o.Lr, WeightDecay: _o.WeightDecay));
        var fingerprint = TokenizerFingerprint.Of(tokenizer);
        model.train();
        TrainerState state;
        if (resumeFrom is { } latest)
        {
            state = CheckpointManager.Restore(latest, model, optimizer) with { Precision = precision };
            if (state.TokenizerSha256 != fingerprint)
                throw new SharpLmException($"{latest}: checkpoint was trained with a different tokenizer than {_o.BaseModel}");
            state = state with { WorldSize = _world.Size };
            if (main) metrics.TruncateAfter(state.Step);
        }
        else
        {
            if (manager.Latest() is { } existing)
                throw new SharpLmException($"{_o.OutDir}: already holds checkpoints ({existing}); pass --resume or choose another --out");
            state = new TrainerState(Stage, 0, 0, 0, settings.Seed, schedule, TrainerState.CaptureTorchRng(), fingerprint, null, 0,
                precision, _world.Size);
        }
        _world.Broadcast(model); // identical weights on every rank
        if (main && resumeFrom is null)
        {
            if (File.Exists(run.MetricsPath)) File.Delete(run.MetricsPath);
            metrics.Append("precision", 0, Pretrainer.PrecisionFields(precision, MatmulPeak.Measure(settings.Threads)));
            var runJson = JsonSerializer.SerializeToNode(_o)!.AsObject();
            runJson["world_size"] = _world.Size;
            AtomicFile.WriteAllText(run.RunFile, runJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            metrics.Append("data", 0, new Dictionary<string, JsonNode?>
            {
                ["train_conversations"] = train.Count, ["val_conversations"] = val.Count,
                ["skipped_records"] = read.Skipped + renderSkips, ["kept"] = fit.Kept, ["truncated"] = fit.Truncated,
                ["dropped"] = fit.Dropped, ["row_tokens"] = rowTokens, ["sft_rows_per_step"] = sftRows,
                ["replay_rows_per_step"] = replayRows, ["steps"] = totalSteps,
            });
            Evaluate(model, valRows, retentionRows, device, metrics, 0, run);
        }

        // Every step allocates the same activations: a caching allocator hands their pages back (issue 18, RSS).
        using var allocator = CachingCpuAllocator.For(device);
        if (allocator is not null) _log?.Invoke($"allocator: {allocator}");
        using var runner = new StepRunner(model, optimizer, schedule, _o.GradClip, world: _world);
        var clock = Stopwatch.StartNew();
        double lastLoss = double.NaN, elapsedBefore = state.ElapsedSeconds;
        long tokensPerStep = (long)(sftRows + replayRows) * (rowTokens - 1), firstStep = state.Step;
        for (long step = state.Step; step < totalSteps; step++)
        {
            var rows = epochRows.Batch(step, stepsPerEpoch, sftRows);
            var replayed = new List<PackedRow>(replayRows);
            if (replay is not null)
            {
                var rng = new Random(unchecked((int)(settings.Seed * 7919 + step)));
                for (int k = 0; k < replayRows; k++) replayed.Add(replay.Window(rng, rowTokens));
            }
            // Each kind of row is averaged over its own targets, then mixed by the replay fraction: a token mean over both
            // would weight replay rows (every position a target) far above chat rows (only the answers are targets).
            double replayWeight = replayed.Count > 0 ? _o.ReplayFraction : 0;
            var micro = new[] { (Rows: rows, Weight: 1 - replayWeight), (Rows: replayed, Weight: replayWeight) }
                .Where(g => g.Rows.Count > 0)
                .SelectMany(g => g.Rows.Chunk(microRows).Select(c => (Rows: c, g.Weight, Targets: Math.Max(1, TargetCount(g.Rows)))))
                .ToList();
            // With a time limit the schedule follows the clock too, so the rate decays to 0 at the step that actually runs last.
            double elapsed = elapsedBefore + clock.Elapsed.TotalSeconds;
            long scheduleStep = LrSchedule.ClockStep(step, totalSteps, elapsed, _o.TimeLimitSeconds);
            var result = runner.Step(scheduleStep, micro.Count, i =>
            {
                using var batch = SftBatch.From(micro[i].Rows, device);
                var logits = batch.Logits(model);                                                   // (B, T, V)
                var summed = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), batch.Y.reshape(-1),
                    ignore_index: Gpt.IgnoreIndex, reduction: nn.Reduction.Sum);
                return summed * (micro[i].Weight * micro.Count / micro[i].Targets); // the runner divides by micro.Count
            });
            if (!result.IsFinite) throw new SharpLmException($"step {step}: loss diverged ({result.Loss}); try a lower --lr");
            lastLoss = result.Loss;
            long done = step + 1;
            double seconds = elapsedBefore + clock.Elapsed.TotalSeconds;
            state = state with { Step = done, TokensSeen = state.TokensSeen + tokensPerStep, DataPosition = done, ElapsedSeconds = seconds };
            double tokPerSec = tokensPerStep * (done - firstStep) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            if (main)
                metrics.Append("train", done, new Dictionary<string, JsonNode?>
                {
                    ["loss"] = result.Loss, ["lr"] = result.Lr, ["grad_norm"] = result.GradNorm, ["tokens"] = state.TokensSeen,
                    ["tok_per_s"] = Math.Round(tokPerSec, 1), ["elapsed_s"] = Math.Round(seconds, 3),
                });
            bool timeUp = _o.TimeLimitSeconds is { } limit && _world.Any(seconds >= limit); // every rank stops at the same step
            bool last = done == totalSteps || timeUp;
            double? valLoss = main && (done % _o.EvalEvery == 0 || last)
                ? Evaluate(model, valRows, retentionRows, device, metrics, done, run)
                : null;
            if (main && (done % _o.SaveEvery == 0 || last))
            {
                state = state with { TorchRngState = TrainerState.CaptureTorchRng() };
                state = manager.Save(model, tokenizer, optimizer, state, valLoss, template.Save);
            }
            _progress?.Report(new ProgressUpdate("sft", done, totalSteps, "steps", $"loss {result.Loss:F3}  lr {result.Lr:G3}  {tokPerSec:F0} tok/s"));
            if (timeUp) break;
        }

        var evals = main ? metrics.Read().Where(r => r["kind"]?.GetValue<string>() == "eval").ToList() : [];
        double? First(string key) => evals.FirstOrDefault()?[key]?.GetValue<double>();
        double? Last(string key) => evals.LastOrDefault()?[key]?.GetValue<double>();
        if (main && First("retention_loss") is { } before && Last("retention_loss") is { } after)
            metrics.Append("retention", state.Step, new Dictionary<string, JsonNode?>
            {
                ["pretrain_val_loss_before"] = before, ["pretrain_val_loss_after"] = after, ["change"] = after - before,
            });
        return new SftResult(run.Root, state.Step, train.Count, val.Count, read.Skipped + renderSkips, fit, lastLoss,
            First("val_loss"), Last("val_loss"), First("retention_loss"), Last("retention_loss"));
    }

    (List<RenderedConversation> Rendered, List<string> Sources, int Skipped) Render(IReadOnlyList<Conversation> conversations, ChatTemplate template)
    {
        var rendered = new List<RenderedConversation>(conversations.Count);
        var sources = new List<string>(conversations.Count);
        int skipped = 0;
        foreach (var c in conversations)
        {
            try
            {
                rendered.Add(template.Render(c.Messages));
                sources.Add(c.Source);
            }
            catch (SharpLmException e)
            {
                if (!_o.SkipBad) throw new SharpLmException($"{c.Source}: {e.Message}", e);
                skipped++;
            }
        }
        return (rendered, sources, skipped);
    }

    /// <summary>A seeded shuffle, then the first ValFraction (at least one when the fraction is positive and there are two or more).</summary>
    (List<RenderedConversation> Train, List<RenderedConversation> Val) Split(List<RenderedConversation> all, long seed)
    {
        var order = Enumerable.Range(0, all.Count).ToArray();
        new Random(unchecked((int)seed)).Shuffle(order);
        int nVal = _o.ValFraction > 0 && all.Count >= 2 ? Math.Max(1, (int)Math.Round(all.Count * _o.ValFraction)) : 0;
        return (order.Skip(nVal).Select(i => all[i]).ToList(), order.Take(nVal).Select(i => all[i]).ToList());
    }

    /// <summary>Validation loss on held-out conversations and (with replay) on held-out pretraining text; logged as "eval".</summary>
    double? Evaluate(Gpt model, List<PackedRow> valRows, List<PackedRow> retentionRows, Device device, MetricsLog metrics,
        long step, RunFolder run)
    {
        double? valLoss = valRows.Count > 0 ? Loss(model, valRows, device) : null;
        double? retention = retentionRows.Count > 0 ? Loss(model, retentionRows, device) : null;
        metrics.Append("eval", step, new Dictionary<string, JsonNode?> { ["val_loss"] = valLoss, ["retention_loss"] = retention });
        LossChart.Render(metrics, run.ChartPath, "SFT loss");
        return valLoss;
    }

    /// <summary>Mean cross-entropy over the trained targets of <paramref name="rows"/> (nats per token).</summary>
    public static double Loss(Gpt model, IReadOnlyList<PackedRow> rows, Device device, int rowsPerForward = 8)
    {
        bool wasTraining = model.training;
        model.eval();
        double nats = 0;
        long tokens = 0;
        using (no_grad())
        {
            for (int i = 0; i < rows.Count; i += rowsPerForward)
            {
                using var scope = NewDisposeScope();
                using var batch = SftBatch.From(rows.Skip(i).Take(rowsPerForward).ToList(), device);
                var (n, t) = batch.SummedLoss(model);
                nats += n;
                tokens += t;
            }
        }
        model.train(wasTraining);
        return tokens > 0 ? nats / tokens : double.NaN;
    }

    /// <summary>The packed rows of each epoch: the conversations shuffled by (seed, epoch), then packed. One epoch is kept.</summary>
    /// <summary>Trained targets in <paramref name="rows"/>: positions whose next token is trained.</summary>
    static int TargetCount(IEnumerable<PackedRow> rows) => rows.Sum(r => r.Mask.Skip(1).Count(m => m != 0));

    sealed class EpochRows(List<RenderedConversation> train, int rowTokens, int padId, long seed)
    {
        long _epoch = -1;
        List<PackedRow> _rows = [];

        public List<PackedRow> For(long epoch)
        {
            if (epoch == _epoch) return _rows;
            var order = train.ToArray();
            new Random(unchecked((int)(seed * 1_000_003 + epoch))).Shuffle(order);
            _rows = SftPacker.Pack(order, rowTokens, padId);
            _epoch = epoch;
            return _rows;
        }

        /// <summary>The SFT rows of <paramref name="step"/>; an epoch that packed into fewer rows wraps to its start.</summary>
        public List<PackedRow> Batch(long step, long stepsPerEpoch, int rowsPerStep)
        {
            var rows = For(step / stepsPerEpoch);
            long first = step % stepsPerEpoch * rowsPerStep;
            return Enumerable.Range(0, rowsPerStep).Select(k => rows[(int)((first + k) % rows.Count)]).ToList();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Distributed;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>
/// Pretraining: next-token prediction on random windows of a tokenized corpus. The loop is the shared
/// <see cref="StepRunner"/>; this class adds the data, the periodic log, evaluation, chart and checkpoints.
/// On several ranks (<see cref="World"/>) every rank trains on its rows of each global batch and rank 0 alone prepares the
/// data, evaluates, writes the run folder and reports progress.
/// </summary>
public sealed class Pretrainer
{
    const string Stage = "pretrain";
    const long TrainStream = 0;

    readonly IProgress<ProgressUpdate>? _progress;
    readonly Action<string>? _log;
    readonly World _world;

    /// <param name="progress">Receives a "pretrain" update every step (bar with loss, tokens/s, MFU); rank 0 only.</param>
    /// <param name="log">Receives human-readable lines (start-up figures, evaluations, samples); rank 0 only.</param>
    /// <param name="world">The ranks training together; null: this process alone.</param>
    public Pretrainer(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null, World? world = null)
    {
        _world = world ?? World.Single;
        _progress = _world.IsMain ? progress : null;
        _log = _world.IsMain ? log : null;
    }

    public PretrainResult Run(PretrainOptions options)
    {
        var o = options.Validate();
        _world.Agree("options", JsonSerializer.Serialize(o, RunJson));
        var run = new RunFolder(o.Out);
        var checkpoints = new CheckpointManager(run, Stage, o.KeepLast);
        var resumeFrom = o.Resume ? checkpoints.Latest() : null;
        if (o.Resume && resumeFrom is null)
            _log?.Invoke($"--resume: {run.CheckpointsDir} holds no checkpoint yet, so training starts from step 0");
        if (resumeFrom is null && (Directory.Exists(run.CheckpointsDir) || Directory.Exists(run.ModelDir)))
            throw new SharpLmException($"{o.Out}: already holds a run; pass --resume to continue it or choose another --out");
        using var folder = _world.IsMain ? new NewFolder(run.Root) : null;

        var device = TorchRuntime.Apply(new TorchSettings(_world.Threads(o.Threads), o.Seed, o.Device));
        manual_seed(o.Seed); // the weights' initialisation depends on the seed only

        var tokenizer = LoadTokenizer(o, run, resumeFrom, save: _world.IsMain);
        var fingerprint = TokenizerFingerprint.Of(tokenizer);
        using var data = OpenData(o, run, tokenizer, fingerprint, resumeFrom is not null);

        var config = o.Shape.For(tokenizer.VocabSize);
        int T = config.ContextLength, B = o.BatchSize;
        long microTokens = (long)B * T;
        long batchTokens = o.BatchTokens ?? microTokens;
        if (batchTokens <= 0 || batchTokens % microTokens != 0)
            throw new SharpLmException($"--batch-tokens {batchTokens} must be a positive multiple of batch size × context = {microTokens}");
        int micro = (int)(batchTokens / microTokens);
        if (micro % _world.Size != 0)
            throw new SharpLmException(
                $"--batch-tokens {batchTokens} does not divide evenly over {_world.Size} ranks: each rank accumulates batch tokens " +
                $"/ (--batch-size {B} × context {T} × {_world.Size} ranks) = {micro}/{_world.Size} micro-batches; give a multiple of {microTokens * _world.Size}");
        long steps = o.Steps ?? (o.Tokens!.Value + batchTokens - 1) / batchTokens;
        var resumedState = resumeFrom is null ? null : TrainerState.Load(resumeFrom);
        var precision = ComputePrecision.Agree(_world, ComputePrecision.ForRun(o.Precision, resumedState, config, B * T, o.Threads));
        var peak = MatmulPeak.Measure(o.Threads);

        using var model = new Gpt(config);
        model.to(device);
        model.ComputeType = precision.Type;
        model.train();
        using var optimizer = OptimizerFactory.AdamW(model, new AdamWSettings(o.Lr, o.Beta1, o.Beta2, 1e-8, o.WeightDecay));
        var schedule = new LrSchedule(o.Lr, o.MinLr ?? o.Lr / 10, o.WarmupSteps, o.DecaySteps ?? steps, o.Schedule);
        // Every step allocates the same activations: a caching allocator hands their pages back (issue 18, RSS).
        using var allocator = CachingCpuAllocator.For(device);
        if (allocator is not null) _log?.Invoke($"allocator: {allocator}");
        using var runner = new StepRunner(model, optimizer, schedule, o.GradClip, world: _world);
        var evaluator = new LossEvaluator(tokenizer);
        var metrics = new MetricsLog(run.MetricsPath);

        TrainerState state;
        if (resumeFrom is not null)
        {
            if (_world.IsMain) checkpoints.RemoveTempFolders();
            state = CheckpointManager.Restore(resumeFrom, model, optimizer);
            if (state.TokenizerSha256 != fingerprint)
                throw new SharpLmException($"{resumeFrom}: the checkpoint was trained with a different tokenizer than {o.Tokenizer}");
            if (state.Step >= steps)
                throw new SharpLmException($"{resumeFrom}: the run already reached step {state.Step} of {steps}; give a larger --steps to continue it");
            if (state.WorldSize != _world.Size)
                _log?.Invoke($"{resumeFrom} was trained on {state.WorldSize} rank(s), now {_world.Size}: the global batch stays {batchTokens:N0} tokens");
            state = state with { Schedule = schedule, WorldSize = _world.Size, Precision = precision };
            if (_world.IsMain) metrics.TruncateAfter(state.Step);
            _log?.Invoke($"resuming from {resumeFrom} at step {state.Step}");
        }
        else
        {
            state = new TrainerState(Stage, 0, 0, 0, o.Seed, schedule, TrainerState.CaptureTorchRng(), fingerprint, null, 0,
                precision, _world.Size);
            if (_world.IsMain && File.Exists(run.MetricsPath)) File.Delete(run.MetricsPath);
            if (_world.IsMain) metrics.Append("precision", 0, PrecisionFields(precision, peak));
        }
        folder?.Keep();
        _world.Broadcast(model); // identical weights on every rank, whatever each one's RNG or disk gave it
        if (_world.IsMain) WriteRunFile(run, o, _world.Size);
        long seed = state.Seed; // a resumed run keeps drawing the batches of the seed it started with

        double flopsPerToken = config.TrainingFlopsPerToken(T);
        _log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"model: {config.ParameterCount:N0} parameters, depth {config.Depth}, width {config.Width}, heads {config.Heads}, context {T}, vocab {config.VocabSize}; {flopsPerToken / 1e6:F2} MFLOPs/token (training)"));
        _log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"batch: {B}×{T} tokens × {micro} micro-batches{(_world.IsDistributed ? $" ({micro / _world.Size} on each of {_world.Size} ranks)" : "")} = {batchTokens:N0} tokens/step; {steps:N0} steps; matmul peak {peak.Fp32Gflops:F1} GFLOP/s fp32, {peak.Bf16Gflops:F1} bf16 ({peak.Threads} threads)"));
        _log?.Invoke($"precision {precision.Reason}");

        var clock = Stopwatch.StartNew();
        long startStep = state.Step;
        double elapsedBefore = state.ElapsedSeconds, trainSeconds = 0, windowSeconds = 0;
        long windowTokens = 0;
        StepResult last = new(double.NaN, double.NaN, 0);
        EvalResult? lastEval = null;
        for (long step = state.Step; step < steps; step++)
        {
            var stepClock = Stopwatch.StartNew();
            long s = step;
            // With a time limit the schedule follows the clock too (the slowest rank's, so every rank uses one rate): a step
            // count planned from a timing that proves slow or fast still decays to the minimum at the step that runs last.
            double clockSeconds = elapsedBefore + clock.Elapsed.TotalSeconds;
            if (_world.IsDistributed && o.TimeLimitSeconds is not null) clockSeconds = _world.AllGather(clockSeconds).Max();
            last = runner.Step(LrSchedule.ClockStep(step, o.DecaySteps ?? steps, clockSeconds, o.TimeLimitSeconds), micro, i =>
            {
                var (x, y) = BatchSampler.Sample(data.Train, B, T, seed, TrainStream, s * micro + i, device); // (B, T)
                return model.Loss(x, y);
            });
            if (!last.IsFinite)
                throw new SharpLmException(
                    $"loss became {last.Loss.ToString(CultureInfo.InvariantCulture)} (gradient norm {last.GradNorm.ToString(CultureInfo.InvariantCulture)}) at step {step + 1}: " +
                    $"training diverged and stopped; the last good checkpoint is {checkpoints.Latest() ?? "none (no checkpoint was written yet)"} (try a lower --lr)");
            double seconds = stepClock.Elapsed.TotalSeconds;
            trainSeconds += seconds;
            windowSeconds += seconds;
            windowTokens += batchTokens;
            state = state with { Step = step + 1, TokensSeen = state.TokensSeen + batchTokens, DataPosition = step + 1 };

            double tokPerSec = windowTokens / Math.Max(windowSeconds, 1e-9);
            // Against the peak of the precision the matmuls run in, on all ranks together.
            double mfu = peak.Mfu(tokPerSec * flopsPerToken / _world.Size, precision.IsBf16);
            double elapsed = elapsedBefore + clock.Elapsed.TotalSeconds;
            double eta = trainSeconds / (step + 1 - startStep) * (steps - step - 1);
            _progress?.Report(new ProgressUpdate(Stage, step + 1, steps, "steps", string.Create(CultureInfo.InvariantCulture,
                $"loss {last.Loss:F4} lr {last.Lr:G3} |g| {last.GradNorm:F3} {tokPerSec:N0} tok/s MFU {100 * mfu:F1}%")));
            bool timeUp = o.TimeLimitSeconds is { } limit && _world.Any(elapsed >= limit); // every rank stops at the same step
            bool final = step + 1 == steps || timeUp;
            if (((step + 1) % o.LogEvery == 0 || final) && _world.IsMain)
            {
                metrics.Append("train", step + 1, new Dictionary<string, JsonNode?>
                {
                    ["loss"] = last.Loss, ["lr"] = last.Lr, ["grad_norm"] = last.GradNorm, ["tokens"] = state.TokensSeen,
                    ["tokens_per_s"] = tokPerSec, ["mfu"] = mfu, ["elapsed_s"] = elapsed, ["eta_s"] = eta,
                });
                windowSeconds = 0;
                windowTokens = 0;
            }
            if (((step + 1) % o.EvalEvery == 0 || final) && _world.IsMain)
            {
                lastEval = evaluator.Evaluate(model, data.Val, B, T, o.EvalBatches, seed);
                var samples = Samples(model, tokenizer, o.SamplePrompts, seed);
                metrics.Append("eval", step + 1, new Dictionary<string, JsonNode?>
                {
                    ["val_loss"] = lastEval.Loss, ["val_bpb"] = lastEval.BitsPerByte, ["train_loss"] = last.Loss,
                    ["samples"] = new JsonArray(samples.Select(t => (JsonNode)t).ToArray()),
                });
                _log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"step {step + 1}/{steps}: train loss {last.Loss:F4}, val loss {lastEval.Loss:F4}, val bpb {lastEval.BitsPerByte:F4}, {elapsed:F1} s"));
                foreach (var t in samples) _log?.Invoke($"  sample: {t.Replace("\n", "⏎")}");
                LossChart.Render(metrics, run.ChartPath, $"pretrain {Path.GetFileName(Path.GetFullPath(run.Root))}");
                state = checkpoints.Save(model, tokenizer, optimizer,
                    state with { ElapsedSeconds = elapsed, TorchRngState = TrainerState.CaptureTorchRng() }, lastEval.Loss);
            }
            if (timeUp)
            {
                _log?.Invoke($"time limit reached after step {step + 1}");
                break;
            }
        }
        double total = elapsedBefore + clock.Elapsed.TotalSeconds;
        double tps = trainSeconds > 0 ? (state.Step - startStep) * batchTokens / trainSeconds : 0;
        return new PretrainResult(run.Root, state.Step, last.Loss, lastEval, state.BestValLoss, total, tps,
            peak.Mfu(tps * flopsPerToken / _world.Size, precision.IsBf16), config.ParameterCount, flopsPerToken, peak, precision);
    }

    /// <summary>
    /// Continuations of the sample prompts (an empty prompt: a text from scratch) through the inference engine, seeded so
    /// every evaluation samples the same way; generation draws on its own RNG, not torch's, so training stays reproducible.
    /// </summary>
    static List<string> Samples(Gpt model, Tokenizer tokenizer, IReadOnlyList<string>? prompts, long seed)
    {
        IReadOnlyList<string> texts = prompts ?? [""];
        var generator = new Inference.Generator(model, tokenizer);
        var options = new GenerationOptions(MaxNewTokens: 64, Sampling: new SamplingOptions(Temperature: 0.8f), Seed: seed);
        using (no_grad())
            return generator.Generate(texts.Select(generator.EncodePrompt).ToList(), options)
                .Select((g, i) => texts[i] + g.Text).ToList();
    }

    /// <summary>The metrics.jsonl record of the precision choice and the measurements behind it.</summary>
    public static Dictionary<string, JsonNode?> PrecisionFields(PrecisionChoice precision, MatmulPeakResult peak) => new()
    {
        ["precision"] = precision.Name, ["reason"] = precision.Reason,
        ["fp32_gflops"] = peak.Fp32Gflops, ["bf16_gflops"] = peak.Bf16Gflops, ["threads"] = peak.Threads,
    };

    static Tokenizer LoadTokenizer(PretrainOptions o, RunFolder run, string? resumeFrom, bool save)
    {
        if (resumeFrom is not null)
        {
            var saved = Tokenizer.Load(resumeFrom);
            if (o.Tokenizer != "char")
            {
                var given = Tokenizer.Load(o.Tokenizer);
                if (TokenizerFingerprint.Of(given) != TokenizerFingerprint.Of(saved))
                    throw new SharpLmException(
                        $"tokenizer {o.Tokenizer} ({given.VocabSize} ids) does not match the one checkpoint {resumeFrom} was trained with ({saved.VocabSize} ids)");
            }
            return saved;
        }
        if (o.Tokenizer != "char") return Tokenizer.Load(o.Tokenizer);
        if (o.Data.Count == 1 && TokenDataset.IsPrepared(o.Data[0]))
            throw new SharpLmException($"--tokenizer char trains on raw text, but {o.Data[0]} is a prepared dataset: give its tokenizer folder instead");
        var tokenizer = CharTokenizer.Train(CorpusReader.ReadDocuments(o.Data).Select(d => d.Text)); // the same on every rank
        if (!save) return tokenizer;
        var dir = Path.Combine(run.Root, "tokenizer");
        Directory.CreateDirectory(dir);
        tokenizer.Save(dir);
        return tokenizer;
    }

    TokenDataset OpenData(PretrainOptions o, RunFolder run, Tokenizer tokenizer, string fingerprint, bool resuming)
    {
        string dir;
        if (o.Data.Count == 1 && TokenDataset.IsPrepared(o.Data[0])) dir = o.Data[0];
        else
        {
            dir = Path.Combine(run.Root, "data");
            if (_world.IsMain && !(resuming && TokenDataset.IsPrepared(dir)))
            {
                _log?.Invoke($"tokenizing {string.Join(", ", o.Data)} into {dir}");
                TokenDataset.Prepare(o.Data, tokenizer, fingerprint, dir, _progress);
            }
            _world.Barrier(); // the other ranks read what rank 0 wrote (the run folder is on a filesystem all ranks share)
        }
        var data = TokenDataset.Open(dir);
        _world.Agree("data", $"{data.Index.ToJsonString()} {data.Train.Length} {data.Val.Length}");
        if (data.TokenizerSha256 != fingerprint)
        {
            data.Dispose();
            throw new SharpLmException($"{Path.Combine(dir, TokenDataset.IndexFile)}: the dataset was tokenized with a different tokenizer than {o.Tokenizer}");
        }
        return data;
    }

    static readonly JsonSerializerOptions RunJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    static void WriteRunFile(RunFolder run, PretrainOptions o, int worldSize)
    {
        var json = new JsonObject
        {
            ["stage"] = Stage,
            ["command"] = string.Join(' ', Environment.GetCommandLineArgs()),
            ["world_size"] = worldSize,
            ["options"] = JsonSerializer.SerializeToNode(o, RunJson),
        };
        AtomicFile.WriteAllText(run.RunFile, json.ToJsonString(RunJson));
    }
}

using System.Diagnostics;
using System.Globalization;
using SharpLM.Alignment;
using SharpLM.Core;
using SharpLM.Data.World;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Pipeline;

/// <summary>What a speedrun did: each training stage's record (run now or earlier), and where the report is.</summary>
/// <param name="Skipped">Stages found finished in the folder and not redone.</param>
public sealed record SpeedrunResult(string Out, IReadOnlyList<StageRecord> Stages, IReadOnlyList<string> Skipped, string ReportPath, double Seconds);

/// <summary>
/// The whole story in one call, on data the project generates itself: the small world (exported to <c>world/</c>) → a BPE
/// tokenizer → pretraining (<c>base/</c>) → SFT with replayed pretraining text (<c>sft/</c>) → a reward model
/// (<c>reward/</c>) → PPO against it (<c>ppo/</c>), plus DPO from the same SFT model (<c>dpo/</c>); every model is
/// evaluated after its stage, and <c>report.md</c> with charts is written at the end.
/// Each stage has a share of the budget and stops on it. A stage whose folder holds <see cref="StageRecord.FileName"/> and a
/// verified <c>model/</c> is finished and not redone; an unfinished one is started afresh, so re-running the same command
/// continues an interrupted run.
/// </summary>
public sealed class Speedrun(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null)
{
    /// <summary>The budget, seed and sizes a speedrun folder was started with.</summary>
    public const string OptionsFile = "speedrun.json";

    public const string World = "world", TokenizerStage = "tokenizer", Base = "base", Sft = "sft", Reward = "reward", Ppo = "ppo", Dpo = "dpo";

    /// <summary>Every stage folder, in the order they run.</summary>
    public static readonly IReadOnlyList<string> StageFolders = [World, TokenizerStage, Base, Sft, Reward, Ppo, Dpo];

    /// <summary>Chat prompts every evaluated model answers at the end of its stage (the report's sample chats).</summary>
    static readonly string[] ChatPrompts = ["你好！", "将'你好'翻译成英文", "What is the capital of France?", "苹果公司生产什么？"];

    /// <summary>Share of pretraining's time share planned as steps at the timed rate; the rest covers its evaluations and checkpoints.</summary>
    const double PretrainStepShare = 0.9;

    public SpeedrunResult Run(SpeedrunOptions options)
    {
        var o = options.Validate();
        var sizes = o.SizesOrDefault;
        var clock = Stopwatch.StartNew();
        var overall = new OverallProgress(progress, o.BudgetSeconds, clock);
        Directory.CreateDirectory(o.Out);
        CheckSameRun(o, sizes);
        TorchRuntime.Apply(new TorchSettings(o.Threads, o.Seed));
        string Dir(string stage) => Path.Combine(o.Out, stage);
        var skipped = new List<string>();

        // 1. The world, exported so people can read what the model learns from.
        overall.Stage(World);
        var world = new WorldGenerator(sizes.World with { Seed = o.Seed }).Generate();
        var worldDir = Dir(World);
        if (File.Exists(Path.Combine(worldDir, WorldExport.SplitJson))) skipped.Add(World);
        else WorldExport.Write(worldDir, world);
        string pretrainText = Path.Combine(worldDir, WorldExport.PretrainText);
        string sftData = Path.Combine(worldDir, WorldExport.SftJsonl), preferences = Path.Combine(worldDir, WorldExport.PreferenceJsonl);
        var valText = ValidationText(sizes, o.Seed);
        var evaluator = new StageEvaluator(StageEvaluator.Limit(world.Evaluation, sizes.EvalItemsPerKind), valText, SeedProbeTexts.CountryQuestion(world.Split));
        var harmful = world.Split.HeldOutHarmful.Values.Select(h => h[0].Request);
        string[] chatPrompts = [.. ChatPrompts, .. harmful];

        // 2. Tokenizer.
        overall.Stage(TokenizerStage);
        var tokenizerDir = Dir(TokenizerStage);
        if (File.Exists(Path.Combine(tokenizerDir, Tokenizer.DescriptorFile))) skipped.Add(TokenizerStage);
        else
        {
            var trained = TokenizerTraining.Run(new TokenizerTrainingRequest([pretrainText], tokenizerDir, VocabSize: sizes.VocabSize, Threads: o.Threads), overall);
            log?.Invoke(Line($"tokenizer: {trained.Tokenizer.VocabSize} ids in {trained.Seconds:F1} s"));
        }

        // 3. One precision for every stage, measured on this run's model (the run's first timing, so the rest is sized in it).
        var precision = ComputePrecision.ForTraining(o.Precision, sizes.Shape.For(Tokenizer.Load(tokenizerDir).VocabSize),
            sizes.BatchSize * sizes.Shape.Context, o.Threads);
        log?.Invoke($"precision {precision.Reason}");
        string stagePrecision = precision.Name;

        var records = new List<StageRecord>();
        StageRecord Stage(string stage, double share, Func<double, (long Steps, IReadOnlyDictionary<string, double> Figures, IReadOnlyList<RewardPoint>? History)> train, bool evaluate = true)
        {
            overall.Stage(stage);
            var dir = Dir(stage);
            if (Finished(dir) is { } done)
            {
                skipped.Add(stage);
                log?.Invoke($"{stage}: finished earlier, kept ({Path.Combine(dir, StageRecord.FileName)})");
                return done;
            }
            if (Directory.Exists(dir))
            {
                log?.Invoke($"{stage}: unfinished folder from an earlier run, starting the stage afresh");
                Directory.Delete(dir, recursive: true);
            }
            var stageClock = Stopwatch.StartNew();
            var (steps, figures, history) = train(share * o.BudgetSeconds);
            double seconds = stageClock.Elapsed.TotalSeconds;
            var modelDir = new RunFolder(dir).ModelDir;
            Checkpoint.Verify(modelDir);
            long tokens = TrainerState.Load(modelDir).TokensSeen;
            StageEvaluation? eval = null;
            IReadOnlyList<ChatSample>? chats = null;
            var evalClock = Stopwatch.StartNew();
            if (evaluate)
            {
                overall.Stage(stage + " eval");
                using var loaded = RunFolder.LoadModel(dir);
                eval = evaluator.Evaluate(loaded.Model, loaded.Tokenizer);
                var answers = evaluator.Chat(new Generator(loaded.Model, loaded.Tokenizer), new ChatTemplate(loaded.Tokenizer), chatPrompts);
                chats = [.. chatPrompts.Zip(answers, (p, a) => new ChatSample(p, a))];
                log?.Invoke(Summary(stage, eval));
            }
            var record = new StageRecord(stage, seconds, evalClock.Elapsed.TotalSeconds, steps, tokens, figures, eval, history, chats);
            record.Save(dir);
            return record;
        }
        long Cap(long steps) => Math.Max(1, Math.Min(steps, sizes.MaxSteps ?? long.MaxValue));

        // 3. Pretraining: steps sized from a few timed steps, so the schedule decays within the time share (which also bounds the stage).
        var baseRecord = Stage(Base, StageShares.Pretrain, seconds =>
        {
            var config = sizes.Shape.For(Tokenizer.Load(tokenizerDir).VocabSize);
            double stepSeconds = StepTimer.SecondsPerStep(config, sizes.BatchSize, precision.Type);
            long steps = Cap((long)(seconds * PretrainStepShare / stepSeconds));
            log?.Invoke(Line($"pretraining: {stepSeconds:F3} s per step timed, {steps} steps planned for {seconds:F0} s"));
            var result = new Pretrainer(overall, log).Run(new PretrainOptions([pretrainText], tokenizerDir, Dir(Base), sizes.Shape,
                Steps: steps, BatchSize: sizes.BatchSize, Lr: sizes.PretrainLr, WarmupSteps: Math.Min(100, steps / 10), Precision: stagePrecision,
                Threads: o.Threads, Seed: o.Seed, EvalEvery: sizes.EvalEvery, EvalBatches: 10, TimeLimitSeconds: seconds));
            return (result.Steps, Figures(("parameters", result.Parameters), ("train_loss", result.TrainLoss),
                ("val_bpb_pretrain_split", result.Val?.BitsPerByte ?? double.NaN), ("planned_steps", steps)), null);
        });
        records.Add(baseRecord);
        // Later stages are sized from pretraining's measured throughput (same model, same machine).
        double tps = Math.Max(1, baseRecord.TokensPerSecond);
        int context = sizes.Shape.Context;

        // 4. SFT with half of every batch replayed pretraining text (the largest single fix) and a moderate rate.
        records.Add(Stage(Sft, StageShares.Sft, seconds =>
        {
            long steps = Cap((long)(seconds * tps / sizes.SftBatchTokens));
            var replay = ReplayFile(pretrainText, Path.Combine(Dir(Sft), "replay.txt"), sizes.ReplayChars);
            var result = new SftTrainer(new SftOptions(Dir(Base), [sftData], Dir(Sft), Steps: steps, Lr: sizes.SftLr, Precision: stagePrecision,
                BatchTokens: sizes.SftBatchTokens, Replay: [replay], ReplayFraction: sizes.SftReplayFraction,
                EvalEvery: sizes.EvalEvery, SaveEvery: int.MaxValue, Torch: new TorchSettings(o.Threads, o.Seed), TimeLimitSeconds: seconds), overall).Run();
            return (result.Steps, Figures(("train_loss", result.FinalTrainLoss), ("val_loss_before", result.ValLossBefore ?? double.NaN),
                ("val_loss_after", result.ValLossAfter ?? double.NaN), ("retention_loss_before", result.RetentionLossBefore ?? double.NaN),
                ("retention_loss_after", result.RetentionLossAfter ?? double.NaN), ("planned_steps", steps)), null);
        }));

        // 5. Reward model on the preference pairs; 6. PPO against it; 7. DPO on the same pairs, from the same SFT model.
        long PairSteps(double seconds, double costFactor) => Cap((long)(seconds * tps * costFactor / (sizes.PairBatchSize * 2.0 * Math.Min(context, 48))));
        PreferenceTrainOptions Pairs(string stage, double seconds, long steps, double lr) => new(Dir(Sft), [preferences], Dir(stage),
            Steps: (int)steps, BatchSize: sizes.PairBatchSize, Lr: lr, WarmupSteps: (int)Math.Min(10, steps / 10), Beta: sizes.DpoBeta,
            ValFraction: Math.Min(0.1, 64.0 / Math.Max(1, sizes.World.PreferencePairs)), // measured before and after, outside the time share
            EvalEvery: int.MaxValue, Seed: o.Seed, Threads: o.Threads, TimeLimitSeconds: seconds, Precision: stagePrecision);
        records.Add(Stage(Reward, StageShares.Reward, seconds =>
        {
            long steps = PairSteps(seconds, 0.8);
            var result = new RewardTrainer(overall, log).Run(Pairs(Reward, seconds, steps, sizes.RewardLr));
            return (result.Steps, PairFigures(result, steps), null);
        }, evaluate: false));
        // An iteration samples, scores, runs the reference and two update epochs: about six passes over rollouts × (prompt + answer)
        // tokens; generation's token-by-token decoding makes it dearer still, hence the slack. PPO's rate is constant, so this only
        // sizes the progress bar; the time share ends the stage.
        long PpoSteps(double seconds) => (long)Math.Ceiling(1.5 * seconds * tps / (6.0 * sizes.PpoRollouts * (24 + sizes.PpoMaxNewTokens)));
        records.Add(Stage(Ppo, StageShares.Ppo, seconds =>
        {
            var result = new PpoTrainer(overall, log).Run(new RlOptions(Dir(Sft), [preferences], Dir(Reward), Dir(Ppo),
                Steps: (int)Cap(PpoSteps(seconds)), Rollouts: sizes.PpoRollouts, KlCoef: sizes.PpoKlCoef, Lr: sizes.PpoLr, MiniBatch: sizes.PpoRollouts / 2,
                MaxNewTokens: sizes.PpoMaxNewTokens, CheckpointEvery: int.MaxValue, Seed: o.Seed, Threads: o.Threads, TimeLimitSeconds: seconds,
                Precision: stagePrecision));
            var h = result.History;
            var history = h.Select(s => new RewardPoint(s.Step, s.MeanReward, s.Kl)).ToList();
            int k = Math.Max(1, h.Count / 5); // first and last fifth: single iterations are noisy
            return (h.Count, Figures(("mean_reward_first", h.Take(k).Average(s => s.MeanReward)), ("mean_reward_last", h.TakeLast(k).Average(s => s.MeanReward)),
                ("kl_last", h.TakeLast(k).Average(s => s.Kl)), ("entropy_last", h.TakeLast(k).Average(s => s.Entropy)),
                ("response_length_last", h.TakeLast(k).Average(s => s.ResponseLength))), history);
        }));
        records.Add(Stage(Dpo, StageShares.Dpo, seconds =>
        {
            long steps = PairSteps(seconds, 0.6); // the frozen reference's forward passes cost too
            var result = new DpoTrainer(overall, log).Run(Pairs(Dpo, seconds, steps, sizes.DpoLr));
            return (result.Steps, PairFigures(result, steps), null);
        }));

        overall.Stage("report");
        var report = SpeedrunReport.Write(o, sizes, world.Split, records, clock.Elapsed.TotalSeconds, precision);
        overall.Done();
        return new SpeedrunResult(Path.GetFullPath(o.Out), records, skipped, report, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Writes <see cref="OptionsFile"/> (budget, seed and sizes) into a new speedrun folder, or checks an existing one holds
    /// the same: finished stages are only reused by the same command, never mixed with stages of another seed or size.
    /// </summary>
    static void CheckSameRun(SpeedrunOptions o, SpeedrunSizes sizes)
    {
        var path = Path.Combine(o.Out, OptionsFile);
        var json = System.Text.Json.JsonSerializer.Serialize(new { o.Minutes, o.Seed, Sizes = sizes }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        if (!File.Exists(path)) AtomicFile.WriteAllText(path, json);
        else if (File.ReadAllText(path) != json)
            throw new SharpLmException($"{path}: {o.Out} holds a speedrun with another --minutes, --seed or sizes; re-run that command to continue it, or choose another --out");
    }

    /// <summary>The stage's record when its folder holds one and a model/ that verifies; null otherwise.</summary>
    public static StageRecord? Finished(string dir)
    {
        if (StageRecord.TryLoad(dir) is not { } record) return null;
        try { Checkpoint.Verify(new RunFolder(dir).ModelDir); }
        catch (SharpLmException) { return null; }
        return record;
    }

    /// <summary>
    /// The first documents of the pretraining text, about <paramref name="chars"/> characters, as SFT's replay file: SFT
    /// replays far fewer tokens than pretraining saw, and tokenizing all of it would cost more setup time than it adds variety.
    /// </summary>
    static string ReplayFile(string pretrainText, string path, int chars)
    {
        var docs = Data.CorpusReader.ReadDocuments([pretrainText]).Select(d => d.Text);
        var kept = new List<string>();
        long total = 0;
        foreach (var doc in docs)
        {
            if (total >= chars) break;
            kept.Add(doc);
            total += doc.Length;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, string.Join("\n\n", kept) + "\n");
        return path;
    }

    /// <summary>Fresh world text, generated with another seed and never trained on, cut to the run's validation size.</summary>
    static string ValidationText(SpeedrunSizes sizes, int seed)
    {
        var docs = new WorldGenerator(sizes.World with { Seed = seed + 1, PretrainChars = sizes.ValChars, SftConversations = 0, PreferencePairs = 0 }).Pretraining();
        var text = string.Join("\n\n", docs.Select(d => d.Text));
        return text.Length <= sizes.ValChars ? text : text[..sizes.ValChars];
    }

    static IReadOnlyDictionary<string, double> PairFigures(PreferenceTrainResult r, long planned) => Figures(
        ("pair_accuracy_before", r.Before.Accuracy), ("pair_accuracy_after", r.After.Accuracy),
        ("margin_before", r.Before.MeanMargin), ("margin_after", r.After.MeanMargin), ("val_pairs", r.After.Pairs), ("planned_steps", planned));

    static IReadOnlyDictionary<string, double> Figures(params (string Key, double Value)[] figures) => figures.ToDictionary(f => f.Key, f => f.Value);

    static string Summary(string stage, StageEvaluation e) => string.Join("; ", e.Languages.Select(l => Line(
        $"{stage} {l.Language}: facts {l.FactTrainedPhrasing:P0} / held-out phrasing {l.FactHeldOutPhrasing:P0}, completion {l.Completion:P0}, hallucination {l.Hallucination:P0}, form {l.InstructionFollowing:P0}, refusal {l.Refusal:P0}")))
        + Line($"; val bpb {e.ValBitsPerByte:F3}");

    static string Line(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Passes every stage's updates through and adds one "speedrun" bar: seconds spent of the budget, with the current
    /// stage named, so the display's remaining-time column is the overall ETA.
    /// </summary>
    sealed class OverallProgress(IProgress<ProgressUpdate>? inner, double budgetSeconds, Stopwatch clock) : IProgress<ProgressUpdate>
    {
        string _stage = "";
        long _lastReport = -1;

        public void Stage(string stage)
        {
            _stage = stage;
            Overall();
        }

        public void Report(ProgressUpdate value)
        {
            inner?.Report(value);
            long tenth = clock.ElapsedMilliseconds / 100;
            if (tenth != _lastReport) Overall();
        }

        public void Done() => inner?.Report(new ProgressUpdate("speedrun", budgetSeconds, budgetSeconds, "s", "done"));

        void Overall()
        {
            _lastReport = clock.ElapsedMilliseconds / 100;
            double elapsed = clock.Elapsed.TotalSeconds;
            inner?.Report(new ProgressUpdate("speedrun", Math.Min(elapsed, budgetSeconds), budgetSeconds, "s",
                string.Create(CultureInfo.InvariantCulture, $"{_stage}: {elapsed:F0} s of {budgetSeconds:F0} s, about {Math.Max(0, budgetSeconds - elapsed):F0} s left")));
        }
    }
}

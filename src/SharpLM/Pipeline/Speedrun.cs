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
/// tokenizer → pretraining (<c>base/</c>) → SFT with replayed pretraining text (<c>sft/</c>) → on-policy preference pairs
/// (<c>pairs/</c>: the SFT model's own answers ranked by the world's checker, a simulated annotator) → a reward model
/// (<c>reward/</c>) → PPO against it (<c>ppo/</c>), DPO on the same pairs (<c>dpo/</c>) and GRPO with the checker as a
/// verifiable reward (<c>grpo/</c>), all three from the same SFT model; every model is evaluated after its stage, and
/// <c>report.md</c> with charts and <c>report.json</c> are written at the end.
/// Each stage has a share of the budget and stops on it. A stage whose folder holds <see cref="StageRecord.FileName"/> and a
/// verified <c>model/</c> is finished and not redone; an unfinished one is started afresh, so re-running the same command
/// continues an interrupted run.
/// </summary>
public sealed class Speedrun(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null)
{
    /// <summary>The budget, seed and sizes a speedrun folder was started with.</summary>
    public const string OptionsFile = "speedrun.json";

    public const string World = "world", TokenizerStage = "tokenizer", Base = "base", Sft = "sft", Pairs = "pairs", Reward = "reward",
        Ppo = "ppo", Dpo = "dpo", Grpo = "grpo";

    /// <summary>Every stage folder, in the order they run.</summary>
    public static readonly IReadOnlyList<string> StageFolders = [World, TokenizerStage, Base, Sft, Pairs, Reward, Ppo, Dpo, Grpo];

    /// <summary>The preference stages, compared with SFT in the report.</summary>
    public static readonly IReadOnlyList<string> RlStages = [Ppo, Dpo, Grpo];

    /// <summary>The on-policy pairs: training (<see cref="PairsFile"/>) and validation split by prompt (<see cref="PairsValFile"/>).</summary>
    public const string PairsFile = "pairs.jsonl", PairsValFile = "pairs_val.jsonl", PairsSummaryFile = "summary.json";

    /// <summary>Chat prompts every evaluated model answers at the end of its stage (the report's sample chats).</summary>
    static readonly string[] ChatPrompts = ["你好！", "将'你好'翻译成英文", "What is the capital of France?", "苹果公司生产什么？"];

    /// <summary>
    /// Pretraining steps planned, as a multiple of what the timed rate fits in the time share. More than fit: the time limit
    /// stops the stage and the schedule follows the clock, so the whole share is used. Planned as 0.9 × share ÷ a timed
    /// step, a timing 6–8 % slow left 301–304 of 360 s used on two of three seeds (bench/RESULTS.md).
    /// </summary>
    const double PretrainStepPlan = 1.3;

    /// <summary>
    /// RL iterations planned, as a multiple of the rough estimate <c>RlSteps</c> makes: the time limit is what stops PPO and
    /// GRPO (their rate is constant), so a low estimate must not end them early (GRPO used 51–70 of its 81 s).
    /// </summary>
    const double RlStepPlan = 3;

    /// <summary>Most passes DPO makes over its pairs.</summary>
    const double DpoEpochs = 2;

    /// <summary>Runs <see cref="SpeedrunOptions.Seeds"/> seeds (each in its own folder, summarised in seeds.md) or one run.</summary>
    public SpeedrunResult Run(SpeedrunOptions options)
    {
        var o = options.Validate();
        if (o.Seeds == 1) return RunOne(o);
        var results = new List<SpeedrunResult>();
        for (int k = 0; k < o.Seeds; k++)
        {
            int seed = o.Seed + k;
            log?.Invoke($"seed {seed} ({k + 1} of {o.Seeds})");
            results.Add(RunOne(o with { Seed = seed, Seeds = 1, Out = Path.Combine(o.Out, $"seed-{seed}") }));
        }
        var summary = SeedSummary.Write(o.Out, results.Select(r => Path.Combine(r.Out, SpeedrunReport.JsonFileName)).ToList());
        return new SpeedrunResult(Path.GetFullPath(o.Out), [.. results.SelectMany(r => r.Stages)], [.. results.SelectMany(r => r.Skipped)], summary,
            results.Sum(r => r.Seconds));
    }

    SpeedrunResult RunOne(SpeedrunOptions o)
    {
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
        var generator = new WorldGenerator(sizes.World with { Seed = o.Seed });
        var world = generator.Generate();
        var worldDir = Dir(World);
        if (File.Exists(Path.Combine(worldDir, WorldExport.SplitJson))) skipped.Add(World);
        else WorldExport.Write(worldDir, world);
        string pretrainText = Path.Combine(worldDir, WorldExport.PretrainText);
        string sftData = Path.Combine(worldDir, WorldExport.SftJsonl), rlPrompts = Path.Combine(worldDir, WorldExport.RlPromptsJsonl);
        var evaluator = new StageEvaluator(StageEvaluator.Limit(world.Evaluation, sizes.EvalItemsPerKind), ValidationTexts(sizes, o.Seed),
            SeedProbeTexts.CountryQuestion(world.Split));
        var harmful = world.Split.HeldOutRequests.Values.Select(h => h.First(r => r.Harmful).Text);
        var harmless = world.Split.HeldOutRequests.Values.Select(h => h.First(r => !r.Harmful).Text);
        var unknown = world.Evaluation.Where(e => e.Kind == EvalKind.Unknown).GroupBy(e => e.Language).Select(g => g.First().Prompt);
        string[] chatPrompts = [.. ChatPrompts, .. harmful, .. harmless, .. unknown];

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

        // 3. Pretraining: steps sized from a few timed steps, more than fit; the time share stops it and its schedule follows the clock.
        var baseRecord = Stage(Base, StageShares.Pretrain, seconds =>
        {
            var config = sizes.Shape.For(Tokenizer.Load(tokenizerDir).VocabSize);
            double stepSeconds = StepTimer.SecondsPerStep(config, sizes.BatchSize, precision.Type);
            long steps = Cap((long)(seconds * PretrainStepPlan / stepSeconds));
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

        // 4. SFT: replay and conversation losses each averaged over their own targets and mixed by the fraction.
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

        // 5. On-policy pairs: the SFT model's answers to the RL prompts, ranked by the world's checker.
        overall.Stage(Pairs);
        var pairsDir = Dir(Pairs);
        var (pairsFile, pairsValFile) = (Path.Combine(pairsDir, PairsFile), Path.Combine(pairsDir, PairsValFile));
        if (File.Exists(Path.Combine(pairsDir, PairsSummaryFile))) skipped.Add(Pairs);
        else SamplePairs(pairsDir, Dir(Sft), world.RlPrompts, generator.WrittenPairs(), sizes, o, StageShares.Pairs * o.BudgetSeconds, overall);
        var valPairs = Data.PreferenceReader.Read([pairsValFile]).ToList();

        // 6. Reward model on the pairs; 7. PPO against it; 8. DPO on the same pairs; 9. GRPO with the checker; all from SFT.
        long PairSteps(double seconds, double costFactor) => Cap((long)(seconds * tps * costFactor / (sizes.PairBatchSize * 2.0 * Math.Min(context, 48))));
        PreferenceTrainOptions PairOptions(string stage, double seconds, long steps, double lr) => new(Dir(Sft), [pairsFile], Dir(stage),
            Steps: (int)steps, BatchSize: sizes.PairBatchSize, Lr: lr, WarmupSteps: (int)Math.Min(10, steps / 10), Beta: sizes.DpoBeta,
            NllCoef: sizes.DpoNllCoef, ValFraction: 0.05, EvalEvery: int.MaxValue, Seed: o.Seed, Threads: o.Threads, TimeLimitSeconds: seconds,
            Precision: stagePrecision);
        records.Add(Stage(Reward, StageShares.Reward, seconds =>
        {
            long steps = PairSteps(seconds, 0.8);
            var result = new RewardTrainer(overall, log).Run(PairOptions(Reward, seconds, steps, sizes.RewardLr));
            var figures = PairFigures(result, steps).ToDictionary();
            using (var model = RewardModel.Load(Dir(Reward)))
                foreach (var (kind, (accuracy, count)) in OnPolicyPairs.RewardAccuracyByKind(model, ReadWorldPairs(pairsValFile)))
                {
                    figures["val_accuracy_" + kind] = accuracy;
                    figures["val_pairs_" + kind] = count;
                }
            return (result.Steps, figures, null);
        }, evaluate: false));
        // An iteration samples, scores, runs the reference, the critic and two update epochs: about eight passes over rollouts ×
        // (prompt + answer) tokens, plus token-by-token decoding. The rate is constant and the time share stops the stage, so
        // this only sizes the progress bar, planned RlStepPlan times over.
        long RlSteps(double seconds, int rows, int maxNew) => (long)Math.Ceiling(RlStepPlan * 1.5 * seconds * tps / (8.0 * rows * (24 + maxNew)));
        int rolloutTokens = Math.Max(sizes.PpoMaxNewTokens, StageEvaluator.ChatTokens); // never shorter than what evaluation allows
        records.Add(Stage(Ppo, StageShares.Ppo, seconds =>
        {
            var result = new PpoTrainer(overall, log).Run(new RlOptions(Dir(Sft), [rlPrompts], Dir(Reward), Dir(Ppo),
                Steps: (int)Cap(RlSteps(seconds, sizes.PpoRollouts, rolloutTokens)), Rollouts: sizes.PpoRollouts, KlCoef: sizes.PpoKlCoef,
                TargetKl: sizes.PpoTargetKl, KlHorizon: 10.0 * sizes.PpoRollouts, Lr: sizes.PpoLr, ValueLr: sizes.PpoValueLr, MiniBatch: Math.Max(1, sizes.PpoRollouts / 2),
                MaxNewTokens: rolloutTokens, PromptKinds: rlPrompts, CheckpointEvery: int.MaxValue, Seed: o.Seed, Threads: o.Threads,
                TimeLimitSeconds: seconds, Precision: stagePrecision));
            return RlFigures(result);
        }));
        records.Add(Stage(Dpo, StageShares.Dpo, seconds =>
        {
            // The frozen reference's forward passes cost too. At most DpoEpochs passes: 6–11 epochs over a few hundred pairs lost
            // 20 points of evaluation facts and 4 % bits per byte in the first full runs.
            int trainPairs = File.ReadLines(pairsFile).Count(l => l.Trim().Length > 0);
            long steps = Math.Min(PairSteps(seconds, 0.6), Math.Max(1, (long)Math.Ceiling(DpoEpochs * trainPairs / (double)sizes.PairBatchSize)));
            var result = new DpoTrainer(overall, log).Run(PairOptions(Dpo, seconds, steps, sizes.DpoLr));
            var figures = PairFigures(result, steps).ToDictionary();
            figures["epochs"] = (double)result.Steps * sizes.PairBatchSize / Math.Max(1, result.TrainPairs);
            return (result.Steps, figures, null);
        }));
        records.Add(Stage(Grpo, StageShares.Grpo, seconds =>
        {
            int rows = sizes.GrpoPrompts * sizes.GrpoGroup;
            var prompts = GrpoPrompts(Dir(Grpo), rlPrompts, [.. generator.SftFactPrompts(sizes.GrpoSftFactPhrasings),
                .. generator.ExtraUnknownPrompts(sizes.GrpoExtraUnknownLands, ExtraUnknownPhrasings, world.Texts())]);
            var result = new GrpoTrainer(overall, log).Run(new RlOptions(Dir(Sft), [prompts], "world:" + prompts, Dir(Grpo),
                Steps: (int)Cap(RlSteps(seconds, rows, rolloutTokens)), Rollouts: sizes.GrpoPrompts, Group: sizes.GrpoGroup,
                KindBaseline: sizes.GrpoKindBaseline, KlCoef: sizes.GrpoKlCoef,
                Lr: sizes.GrpoLr, MiniBatch: Math.Max(1, rows / 2), MaxNewTokens: rolloutTokens, CheckpointEvery: int.MaxValue, Seed: o.Seed,
                Threads: o.Threads, TimeLimitSeconds: seconds, Precision: stagePrecision));
            return RlFigures(result);
        }));

        overall.Stage("report");
        var report = SpeedrunReport.Write(o, sizes, world.Split, records, clock.Elapsed.TotalSeconds, precision, Pairs: PairSummaryOf(pairsDir));
        overall.Done();
        return new SpeedrunResult(Path.GetFullPath(o.Out), records, skipped, report, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Samples and ranks the on-policy pairs, adds the annotator's <paramref name="written"/> ones, and splits them by prompt into <paramref name="dir"/> (written atomically, summary last).</summary>
    void SamplePairs(string dir, string sftDir, IReadOnlyList<EvalItem> prompts, IReadOnlyList<PreferencePair> written, SpeedrunSizes sizes,
        SpeedrunOptions o, double seconds, IProgress<ProgressUpdate> progress)
    {
        using var loaded = RunFolder.LoadModel(sftDir);
        var template = ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer) ?? new ChatTemplate(loaded.Tokenizer);
        var (pairs, summary) = OnPolicyPairs.Sample(new Generator(loaded.Model, loaded.Tokenizer), template, prompts, sizes.PairSamples,
            Math.Max(sizes.PpoMaxNewTokens, StageEvaluator.ChatTokens), 1f, o.Seed, seconds, progress);
        if (pairs.Count < 4) throw new SharpLmException($"{dir}: only {pairs.Count} on-policy pairs were made; the SFT model's answers were all scored alike");
        summary = summary with { WrittenPairs = written.Count };
        var (train, val) = OnPolicyPairs.SplitByPrompt([.. pairs, .. written], 0.15, o.Seed);
        Directory.CreateDirectory(dir);
        WriteAtomically(Path.Combine(dir, PairsFile), tmp => WorldExport.WritePairs(tmp, train));
        WriteAtomically(Path.Combine(dir, PairsValFile), tmp => WorldExport.WritePairs(tmp, val));
        AtomicFile.WriteAllText(Path.Combine(dir, PairsSummaryFile), System.Text.Json.JsonSerializer.Serialize(summary, SummaryJson));
        log?.Invoke(Line($"pairs: {summary.Pairs} from {summary.Prompts} prompts ({summary.GoldPairs} with the world's answer as chosen) and {written.Count} written by the annotator, chosen longer in {summary.ChosenLongerShare:P0}; {train.Count} train / {val.Count} validation (split by prompt)"));
    }

    /// <summary>
    /// Trained phrasings each extra unknown land is asked in by GRPO: 42 lands give 84 prompts per language, as many as the
    /// world's own RL unknown lands, so unknown prompts (168) match fact prompts (120 RL + 46 SFT in one phrasing).
    /// </summary>
    public const int ExtraUnknownPhrasings = 2;

    /// <summary>GRPO's prompt file inside grpo/ when SFT facts or extra unknown lands are added to the RL prompts.</summary>
    public const string GrpoPromptsFile = "prompts.jsonl";

    /// <summary>
    /// GRPO's prompts: the world's RL prompts plus <paramref name="anchors"/> (SFT facts to keep answering, unknown lands),
    /// written to <paramref name="dir"/>/prompts.jsonl for the checker to read; the RL prompts file itself when there are none.
    /// </summary>
    static string GrpoPrompts(string dir, string rlPrompts, IReadOnlyList<EvalItem> anchors)
    {
        if (anchors.Count == 0) return rlPrompts;
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, GrpoPromptsFile);
        WriteAtomically(path, tmp => WorldExport.WriteItems(tmp, [.. WorldExport.ReadItems(rlPrompts), .. anchors]));
        return path;
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> to a temporary file, then moves it in place.</summary>
    static void WriteAtomically(string path, Action<string> write)
    {
        var tmp = path + ".tmp";
        write(tmp);
        File.Move(tmp, path, overwrite: true);
    }

    static PairSamplingSummary? PairSummaryOf(string dir)
    {
        var path = Path.Combine(dir, PairsSummaryFile);
        return File.Exists(path) ? System.Text.Json.JsonSerializer.Deserialize<PairSamplingSummary>(File.ReadAllText(path), SummaryJson) : null;
    }

    /// <summary>The pairs summary's JSON: indented, and NaN (no pair with answers of different lengths) written as "NaN".</summary>
    static readonly System.Text.Json.JsonSerializerOptions SummaryJson = new()
    {
        WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The world's own pair records (with their kinds) from a pairs file written by <see cref="WorldExport.WritePairs"/>.</summary>
    static IReadOnlyList<PreferencePair> ReadWorldPairs(string path) => [.. File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l =>
    {
        var n = System.Text.Json.Nodes.JsonNode.Parse(l)!;
        return new PreferencePair(n["language"]!.GetValue<string>(), n["kind"]!.GetValue<string>(), n["prompt"]!.GetValue<string>(),
            n["chosen"]!.GetValue<string>(), n["rejected"]!.GetValue<string>());
    })];

    static (long, IReadOnlyDictionary<string, double>, IReadOnlyList<RewardPoint>) RlFigures(RlResult result)
    {
        var h = result.History;
        var history = h.Select(s => new RewardPoint(s.Step, s.MeanReward, s.Kl)).ToList();
        int k = Math.Max(1, h.Count / 5); // first and last fifth: single iterations are noisy
        var figures = Figures(("mean_reward_first", h.Take(k).Average(s => s.MeanReward)), ("mean_reward_last", h.TakeLast(k).Average(s => s.MeanReward)),
            ("kl_last", h.TakeLast(k).Average(s => s.Kl)), ("entropy_last", h.TakeLast(k).Average(s => s.Entropy)),
            ("response_length_last", h.TakeLast(k).Average(s => s.ResponseLength)), ("kl_coef_last", h[^1].KlCoef)).ToDictionary();
        foreach (var kind in h.Where(s => s.ByKind is not null).SelectMany(s => s.ByKind!.Keys).Distinct())
        {
            var first = h.Where(s => s.ByKind?.ContainsKey(kind) == true).Take(k).Select(s => s.ByKind![kind].Reward).DefaultIfEmpty(double.NaN).Average();
            var last = h.Where(s => s.ByKind?.ContainsKey(kind) == true).TakeLast(k).Select(s => s.ByKind![kind].Reward).DefaultIfEmpty(double.NaN).Average();
            figures[$"reward_first_{kind}"] = first;
            figures[$"reward_last_{kind}"] = last;
        }
        return (h.Count, figures, history);
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

    /// <summary>Fresh world text per language, generated with another seed and never trained on, each cut to half the
    /// run's validation size; one pass over the facts, so bits per byte measure the same kind of text whatever the
    /// training world's <see cref="WorldOptions.FactPasses"/>.</summary>
    static IReadOnlyDictionary<string, string> ValidationTexts(SpeedrunSizes sizes, int seed)
    {
        var docs = new WorldGenerator(sizes.World with { Seed = seed + 1, PretrainChars = sizes.ValChars, SftConversations = 0, PreferencePairs = 0,
            FactPasses = 1 }).Pretraining();
        return docs.GroupBy(d => d.Language).ToDictionary(g => g.Key, g =>
        {
            var text = string.Join("\n\n", g.Select(d => d.Text));
            return text.Length <= sizes.ValChars / 2 ? text : text[..(sizes.ValChars / 2)];
        });
    }

    static IReadOnlyDictionary<string, double> PairFigures(PreferenceTrainResult r, long planned) => Figures(
        ("pair_accuracy_before", r.Before.Accuracy), ("pair_accuracy_after", r.After.Accuracy),
        ("margin_before", r.Before.MeanMargin), ("margin_after", r.After.MeanMargin), ("val_pairs", r.After.Pairs), ("planned_steps", planned));

    static IReadOnlyDictionary<string, double> Figures(params (string Key, double Value)[] figures) => figures.ToDictionary(f => f.Key, f => f.Value);

    static string Summary(string stage, StageEvaluation e) => string.Join("; ", e.Languages.Select(l =>
        $"{stage} {l.Language}: " + string.Join(", ", Metrics.Shares.Select(m => Line($"{m} {l[m].Value:P0}")))))
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

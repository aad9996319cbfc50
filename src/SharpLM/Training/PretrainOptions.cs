namespace SharpLM.Training;

/// <summary>Everything <c>sharplm pretrain</c> takes. Serialised into run.json.</summary>
/// <param name="Data">Raw text inputs (files/folders, see <see cref="Data.CorpusReader"/>) or one prepared dataset folder.</param>
/// <param name="Tokenizer">A tokenizer folder, a published encoding name, or "char" to train a character-level tokenizer on the input.</param>
/// <param name="Out">The run folder (see <see cref="RunFolder"/>).</param>
/// <param name="Steps">Optimizer steps; when null, <paramref name="Tokens"/> / batch tokens.</param>
/// <param name="BatchSize">Rows per micro-batch (each a window of Context tokens).</param>
/// <param name="BatchTokens">Tokens per optimizer step; a multiple of BatchSize·Context, reached by gradient accumulation. Null: one micro-batch.</param>
/// <param name="MinLr">Floor of the schedule; null: Lr / 10.</param>
/// <param name="DecaySteps">Step where the decay ends; null: the last step.</param>
/// <param name="EvalEvery">Evaluate, chart and checkpoint every this many steps (and at the end).</param>
/// <param name="EvalBatches">Validation batches per evaluation.</param>
/// <param name="KeepLast">Resumable checkpoints kept.</param>
/// <param name="TimeLimitSeconds">Stop (evaluating and checkpointing) once training has run this long, even before Steps.</param>
/// <param name="DebugNanAtStep">Test hook: the loss of this 1-based step becomes NaN.</param>
public sealed record PretrainOptions(
    IReadOnlyList<string> Data,
    string Tokenizer,
    string Out,
    ModelShape Shape,
    long? Steps = null,
    long? Tokens = null,
    int BatchSize = 8,
    long? BatchTokens = null,
    double Lr = 1e-3,
    double? MinLr = null,
    long WarmupSteps = 100,
    long? DecaySteps = null,
    ScheduleKind Schedule = ScheduleKind.Cosine,
    double WeightDecay = 0.1,
    double Beta1 = 0.9,
    double Beta2 = 0.95,
    double GradClip = 1.0,
    bool Bf16 = false,
    int Threads = 0,
    long Seed = 1337,
    string Device = "cpu",
    bool Resume = false,
    int EvalEvery = 250,
    int EvalBatches = 20,
    int LogEvery = 10,
    int KeepLast = 2,
    IReadOnlyList<string>? SamplePrompts = null,
    double? TimeLimitSeconds = null,
    long? DebugNanAtStep = null);

/// <summary>How a pretraining run ended.</summary>
public sealed record PretrainResult(
    string RunDir,
    long Steps,
    double TrainLoss,
    EvalResult? Val,
    double? BestValLoss,
    double Seconds,
    double TokensPerSecond,
    double Mfu,
    long Parameters,
    double FlopsPerToken,
    MatmulPeakResult Peak);

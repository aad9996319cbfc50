using SharpLM.Core;

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
/// <param name="Precision">auto (bf16 only where measured faster on this machine, see <see cref="ComputePrecision"/>), fp32 or bf16.</param>
/// <param name="TimeLimitSeconds">Stop (evaluating and checkpointing) once training has run this long, even before Steps; the
/// schedule then reads the clock as well as the step (<see cref="LrSchedule.ClockStep"/>), so it decays within the limit.</param>
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
    string Precision = ComputePrecision.Auto,
    int Threads = 0,
    long Seed = 1337,
    string Device = "cpu",
    bool Resume = false,
    int EvalEvery = 250,
    int EvalBatches = 20,
    int LogEvery = 10,
    int KeepLast = 2,
    IReadOnlyList<string>? SamplePrompts = null,
    double? TimeLimitSeconds = null)
{
    /// <summary>Checks every option before any work starts or any folder is made (NaN and ∞ included).</summary>
    public PretrainOptions Validate()
    {
        SharpLmException.Require(Data.Count > 0, "--data", "needs at least one file or folder");
        foreach (var path in Data)
            SharpLmException.Require(File.Exists(path) || Directory.Exists(path), "--data", $"{path}: file or folder not found");
        SharpLmException.Require(!string.IsNullOrWhiteSpace(Out), "--out", "must name a folder");
        SharpLmException.Require(Shape.Depth >= 1, "--depth", $"must be at least 1 (got {Shape.Depth})");
        SharpLmException.Require(Shape.Context >= 2, "--context", $"must be at least 2 (got {Shape.Context})");
        SharpLmException.Require(Shape.Width is null or > 0, "--width", $"must be positive (got {Shape.Width})");
        SharpLmException.Require(Shape.Heads is null or > 0, "--heads", $"must be positive (got {Shape.Heads})");
        SharpLmException.Require(Shape.KvHeads is null or > 0, "--kv-heads", $"must be positive (got {Shape.KvHeads})");
        SharpLmException.Require(Steps is null or > 0, "--steps", $"must be positive (got {Steps})");
        SharpLmException.Require(Tokens is null or > 0, "--tokens", $"must be positive (got {Tokens})");
        SharpLmException.Require(Steps is not null || Tokens is not null, "--steps", "or --tokens is needed");
        SharpLmException.Require(BatchSize > 0, "--batch-size", $"must be positive (got {BatchSize})");
        SharpLmException.Require(BatchTokens is null or > 0, "--batch-tokens", $"must be positive (got {BatchTokens})");
        SharpLmException.Positive(Lr, "--lr");
        if (MinLr is { } minLr) SharpLmException.NonNegative(minLr, "--min-lr");
        SharpLmException.Require(WarmupSteps >= 0, "--warmup", $"must be 0 or positive (got {WarmupSteps})");
        SharpLmException.Require(DecaySteps is null or > 0, "--decay-steps", $"must be positive (got {DecaySteps})");
        SharpLmException.NonNegative(WeightDecay, "--weight-decay");
        SharpLmException.InRange(Beta1, "--beta1", 0, 1);
        SharpLmException.InRange(Beta2, "--beta2", 0, 1);
        SharpLmException.NonNegative(GradClip, "--grad-clip");
        ComputePrecision.Check(Precision, ComputePrecision.TrainingNames);
        SharpLmException.Require(Threads >= 0, "--threads", $"must be 0 (all cores) or positive (got {Threads})");
        SharpLmException.Require(EvalEvery > 0, "--eval-every", $"must be positive (got {EvalEvery})");
        SharpLmException.Require(EvalBatches > 0, "--eval-batches", $"must be positive (got {EvalBatches})");
        SharpLmException.Require(LogEvery > 0, "--log-every", $"must be positive (got {LogEvery})");
        SharpLmException.Require(KeepLast > 0, "--keep", $"must be positive (got {KeepLast})");
        if (TimeLimitSeconds is { } limit) SharpLmException.NonNegative(limit, "time limit");
        TorchRuntime.ParseDevice(Device);
        return this;
    }
}

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
    MatmulPeakResult Peak,
    PrecisionChoice Precision);

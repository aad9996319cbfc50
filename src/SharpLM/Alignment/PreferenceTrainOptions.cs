namespace SharpLM.Alignment;

/// <summary>Options shared by the two trainers that learn from preference pairs: the reward model and DPO.</summary>
/// <param name="Base">The run or checkpoint folder to start from (usually an SFT run).</param>
/// <param name="Data">Preference files (see <see cref="Data.PreferenceReader"/>).</param>
/// <param name="Out">The run folder to write (model/, checkpoints/, metrics.jsonl, loss.png).</param>
/// <param name="Steps">Optimizer steps; each draws <paramref name="BatchSize"/> pairs.</param>
/// <param name="Beta">DPO only: strength of the implicit KL constraint to the reference.</param>
/// <param name="NllCoef">DPO only: weight of the chosen answer's mean token NLL added to the loss (RPO); 0 is plain DPO.</param>
/// <param name="ValFraction">Share of pairs held out for accuracy and margin.</param>
/// <param name="MaxPairs">Use at most this many pairs (after a seeded shuffle); null uses all.</param>
/// <param name="Precision">auto (bf16 only where measured faster here, see <see cref="Training.ComputePrecision"/>), fp32 or bf16.</param>
/// <param name="TimeLimitSeconds">Stop (evaluating and checkpointing) once training has run this long, even before <paramref name="Steps"/>.</param>
/// <param name="MaxPromptTokens">Longest prompt (rendered); null: only the context limits prompt + answer.</param>
/// <param name="OnLong">What to do with a pair whose prompt or prompt + answer is too long: skip it (counted), cut the oldest
/// prompt tokens (answers keep at least half the context), or stop.</param>
/// <param name="SkipBad">Skip malformed preference records (counted) instead of stopping at the first.</param>
public sealed record PreferenceTrainOptions(
    string Base,
    IReadOnlyList<string> Data,
    string Out,
    int Steps = 200,
    int BatchSize = 8,
    double Lr = 5e-5,
    double? MinLr = null,
    int WarmupSteps = 10,
    double WeightDecay = 0.0,
    double GradClip = 1.0,
    double Beta = 0.1,
    double NllCoef = 1.0,
    double ValFraction = 0.1,
    int? MaxPairs = null,
    int EvalEvery = 50,
    int KeepLast = 2,
    bool Resume = false,
    long Seed = 1337,
    int Threads = 0,
    string Device = "cpu",
    double? TimeLimitSeconds = null,
    string Precision = Training.ComputePrecision.Auto,
    int? MaxPromptTokens = null,
    Data.LongRecordPolicy OnLong = Data.LongRecordPolicy.Skip,
    bool SkipBad = false)
{
    public PreferenceTrainOptions Validate()
    {
        Core.SharpLmException.Require(Data.Count > 0, "--data", "needs at least one preference file");
        Core.SharpLmException.Require(Steps > 0, "--steps", $"must be positive (got {Steps})");
        Core.SharpLmException.Require(BatchSize > 0, "--batch-size", $"must be positive (got {BatchSize})");
        Core.SharpLmException.Positive(Lr, "--lr");
        if (MinLr is { } minLr) Core.SharpLmException.NonNegative(minLr, "--min-lr");
        Core.SharpLmException.Require(WarmupSteps >= 0, "--warmup", $"must be 0 or positive (got {WarmupSteps})");
        Core.SharpLmException.NonNegative(WeightDecay, "--weight-decay");
        Core.SharpLmException.NonNegative(GradClip, "--grad-clip");
        Core.SharpLmException.Positive(Beta, "--beta");
        Core.SharpLmException.Require(ValFraction is > 0 and < 1, "--val-fraction", $"must be in (0, 1) (got {ValFraction})");
        Core.SharpLmException.Require(MaxPairs is null or >= 2, "--max-pairs", $"must be at least 2 (got {MaxPairs})");
        Core.SharpLmException.Require(KeepLast > 0, "--keep", $"must be positive (got {KeepLast})");
        Core.SharpLmException.Require(Threads >= 0, "--threads", $"must be 0 (all cores) or positive (got {Threads})");
        if (TimeLimitSeconds is { } limit) Core.SharpLmException.NonNegative(limit, "time limit");
        Training.ComputePrecision.Check(Precision, Training.ComputePrecision.TrainingNames);
        Core.TorchRuntime.ParseDevice(Device);
        Core.SharpLmException.Require(EvalEvery > 0, "--eval-every", $"must be positive (got {EvalEvery})");
        Core.SharpLmException.Require(MaxPromptTokens is null or > 0, "--max-prompt-tokens", $"must be positive (got {MaxPromptTokens})");
        return this;
    }
}

/// <summary>Held-out pairwise figures: how often the chosen answer wins, by how much on average, and the loss.</summary>
public sealed record PairEvaluation(double Accuracy, double MeanMargin, double Loss, int Pairs);

/// <summary>What a preference trainer did: held-out figures before and after, and where the model is.</summary>
public sealed record PreferenceTrainResult(string RunDir, string ModelDir, long Steps, PairEvaluation Before, PairEvaluation After, int TrainPairs);

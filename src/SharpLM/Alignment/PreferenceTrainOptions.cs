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
/// <param name="TimeLimitSeconds">Stop (evaluating and checkpointing) once training has run this long, even before <paramref name="Steps"/>.</param>
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
    double? TimeLimitSeconds = null)
{
    public PreferenceTrainOptions Validate()
    {
        Core.SharpLmException.Require(Data.Count > 0, "--data", "needs at least one preference file");
        Core.SharpLmException.Require(Steps > 0, "--steps", $"must be positive (got {Steps})");
        Core.SharpLmException.Require(BatchSize > 0, "--batch-size", $"must be positive (got {BatchSize})");
        Core.SharpLmException.Require(Lr > 0, "--lr", $"must be positive (got {Lr})");
        Core.SharpLmException.Require(Beta > 0, "--beta", $"must be positive (got {Beta})");
        Core.SharpLmException.Require(ValFraction is > 0 and < 1, "--val-fraction", $"must be in (0, 1) (got {ValFraction})");
        Core.SharpLmException.Require(EvalEvery > 0, "--eval-every", $"must be positive (got {EvalEvery})");
        return this;
    }
}

/// <summary>Held-out pairwise figures: how often the chosen answer wins, by how much on average, and the loss.</summary>
public sealed record PairEvaluation(double Accuracy, double MeanMargin, double Loss, int Pairs);

/// <summary>What a preference trainer did: held-out figures before and after, and where the model is.</summary>
public sealed record PreferenceTrainResult(string RunDir, string ModelDir, long Steps, PairEvaluation Before, PairEvaluation After, int TrainPairs);

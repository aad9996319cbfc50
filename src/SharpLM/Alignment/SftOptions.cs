using SharpLM.Core;
using SharpLM.Data;

namespace SharpLM.Alignment;

/// <summary>Options of a supervised fine-tuning run (<c>sharplm sft</c>).</summary>
/// <param name="BaseModel">Pretrained run folder or checkpoint folder to start from (its tokenizer is used).</param>
/// <param name="Data">Conversation files (see <see cref="ConversationReader"/>).</param>
/// <param name="OutDir">Run folder to write (model/, checkpoints/, best/, metrics.jsonl, loss.png, run.json).</param>
/// <param name="Epochs">Passes over the training conversations, unless <paramref name="Steps"/> is given.</param>
/// <param name="Steps">Optimizer steps in all (overrides <paramref name="Epochs"/>).</param>
/// <param name="Lr">Peak learning rate; it falls linearly to 0 at the last step (nanochat's SFT schedule), after <paramref name="WarmupSteps"/>.</param>
/// <param name="BatchTokens">Tokens per optimizer step (rows × row length).</param>
/// <param name="MicroBatchRows">Rows per forward/backward (gradient accumulation); 0 = the whole batch at once.</param>
/// <param name="ValFraction">Share of conversations held out for validation loss.</param>
/// <param name="Replay">Plain pretraining text files replayed with full next-token loss.</param>
/// <param name="ReplayFraction">Share of each batch's rows taken from <paramref name="Replay"/> (0 ≤ F &lt; 1).</param>
/// <param name="OnLong">What to do with conversations longer than the context: skip (counted), truncate-left or error.</param>
/// <param name="SkipBad">Skip malformed records (counted) instead of stopping at the first.</param>
/// <param name="Resume">Continue from the newest checkpoint in <paramref name="OutDir"/>.</param>
/// <param name="EvalEvery">Validation every this many steps (and at the end).</param>
/// <param name="SaveEvery">Resumable checkpoint every this many steps (and at the end).</param>
/// <param name="EvalRows">At most this many rows of held-out conversations (and of held-out pretraining text) per evaluation.</param>
/// <param name="Precision">auto (bf16 only where measured faster here, see <see cref="Training.ComputePrecision"/>), fp32 or bf16.</param>
/// <param name="TimeLimitSeconds">Stop (evaluating and checkpointing) once training has run this long, even before the last step.</param>
public sealed record SftOptions(
    string BaseModel,
    IReadOnlyList<string> Data,
    string OutDir,
    int Epochs = 1,
    long? Steps = null,
    double Lr = 1e-4,
    int WarmupSteps = 0,
    int BatchTokens = 8192,
    int MicroBatchRows = 0,
    double ValFraction = 0.05,
    IReadOnlyList<string>? Replay = null,
    double ReplayFraction = 0.0,
    LongRecordPolicy OnLong = LongRecordPolicy.Skip,
    bool SkipBad = false,
    bool Resume = false,
    int EvalEvery = 100,
    int SaveEvery = 200,
    int EvalRows = 64,
    double WeightDecay = 0.0,
    double GradClip = 1.0,
    string Precision = Training.ComputePrecision.Auto,
    TorchSettings? Torch = null,
    double? TimeLimitSeconds = null)
{
    public SftOptions Validate()
    {
        if (Data.Count == 0) throw new SharpLmException("give at least one --data file of conversations");
        if (Steps is <= 0) throw new SharpLmException("--steps must be positive");
        if (Steps is null && Epochs <= 0) throw new SharpLmException("--epochs must be positive");
        SharpLmException.Positive(Lr, "--lr");
        SharpLmException.Require(WarmupSteps >= 0, "--warmup", $"must be 0 or positive (got {WarmupSteps})");
        SharpLmException.Require(MicroBatchRows >= 0, "--micro-batch-rows", $"must be 0 or positive (got {MicroBatchRows})");
        SharpLmException.Require(EvalRows > 0, "--eval-rows", $"must be positive (got {EvalRows})");
        SharpLmException.NonNegative(WeightDecay, "--weight-decay");
        SharpLmException.NonNegative(GradClip, "--grad-clip");
        if (TimeLimitSeconds is { } limit) SharpLmException.NonNegative(limit, "time limit");
        Training.ComputePrecision.Check(Precision, Training.ComputePrecision.TrainingNames);
        if (Torch is { } torch)
        {
            SharpLmException.Require(torch.Threads >= 0, "--threads", $"must be 0 (all cores) or positive (got {torch.Threads})");
            TorchRuntime.ParseDevice(torch.Device);
        }
        if (BatchTokens <= 0) throw new SharpLmException("--batch-tokens must be positive");
        if (!(ValFraction is >= 0 and < 1)) throw new SharpLmException("--val-fraction must be in [0, 1)");
        if (!(ReplayFraction is >= 0 and < 1)) throw new SharpLmException("--replay-fraction must be in [0, 1)");
        if (ReplayFraction > 0 && (Replay is null || Replay.Count == 0))
            throw new SharpLmException("--replay-fraction needs --replay files of pretraining text");
        if (EvalEvery <= 0 || SaveEvery <= 0) throw new SharpLmException("--eval-every and --save-every must be positive");
        return this;
    }
}

/// <summary>What an SFT run did. Retention is the validation loss on held-out pretraining text before and after (null without replay text).</summary>
public sealed record SftResult(
    string OutDir,
    long Steps,
    int TrainConversations,
    int ValConversations,
    int SkippedRecords,
    FitCounts Fit,
    double FinalTrainLoss,
    double? ValLossBefore,
    double? ValLossAfter,
    double? RetentionLossBefore,
    double? RetentionLossAfter);

namespace SharpLM.Alignment;

/// <summary>Options shared by PPO and GRPO.</summary>
/// <param name="Policy">The run or checkpoint folder the policy (and the frozen reference) start from, usually SFT.</param>
/// <param name="Prompts">Prompt files (see <see cref="Data.PromptReader"/>).</param>
/// <param name="Reward">A reward spec (see <see cref="Rewards.RewardFunctions.Help"/>); PPO normally takes a reward-model folder.</param>
/// <param name="Out">The run folder to write.</param>
/// <param name="Steps">RL iterations: each collects rollouts, then runs <paramref name="Epochs"/> passes of updates over them.</param>
/// <param name="Rollouts">Prompts per iteration (GRPO samples <paramref name="Group"/> answers for each).</param>
/// <param name="Group">GRPO only: answers per prompt, compared with each other.</param>
/// <param name="KindBaseline">GRPO only: share of each advantage taken from the answer's reward minus its prompt kind's
/// running mean (<see cref="Alignment.KindBaseline"/>) instead of the group-normalised reward; 0: plain GRPO. Needs kinds
/// (a world reward or <paramref name="PromptKinds"/>); rows of no known kind keep the group advantage.</param>
/// <param name="KlCoef">β of the KL penalty to the reference (PPO: per-token reward −β·(log π − log π_ref); GRPO: β·k3 in the loss).</param>
/// <param name="TargetKl">PPO only: when set, β adapts so the sequence KL approaches this many nats (see <see cref="KlController"/>).</param>
/// <param name="KlHorizon">PPO only: rollouts over which the adaptive β moves by at most 20%.</param>
/// <param name="ValueLr">PPO only: the critic's learning rate (its own optimizer and parameter group).</param>
/// <param name="ValueWarmup">PPO only: first iterations that train the critic with the policy frozen.</param>
/// <param name="ValueGradClip">PPO only: gradient-norm clip of the critic (the policy has <paramref name="GradClip"/>).</param>
/// <param name="NormalizeRewards">PPO only: scores divided by their running standard deviation and centred on their running
/// mean, so β has the same meaning whatever the reward's scale.</param>
/// <param name="NoEndPenalty">PPO only: subtracted (after normalisation) from an answer cut at the token limit.</param>
/// <param name="PromptKinds">World items (rl_prompts.jsonl) that name each prompt's kind, for per-kind figures and charts.</param>
/// <param name="SampleEvery">Log one sampled prompt and answer every this many iterations.</param>
/// <param name="Precision">auto (bf16 only where measured faster here, see <see cref="Training.ComputePrecision"/>), fp32 or bf16.</param>
/// <param name="TimeLimitSeconds">Stop (checkpointing) once the iterations have run this long, even before <paramref name="Steps"/>.</param>
/// <param name="MaxPromptTokens">Longest prompt (as rendered for generation); null: the context minus <paramref name="MaxNewTokens"/>,
/// so every answer has its full room.</param>
/// <param name="OnLong">What to do with a prompt longer than that: skip it (counted), cut its start, or stop.</param>
/// <param name="SkipBad">Skip malformed prompt records (counted) instead of stopping at the first.</param>
public sealed record RlOptions(
    string Policy,
    IReadOnlyList<string> Prompts,
    string Reward,
    string Out,
    int Steps = 100,
    int Rollouts = 8,
    int Group = 4,
    double KindBaseline = 0,
    double KlCoef = 0.05,
    double? TargetKl = null,
    double KlHorizon = 10000,
    double Lr = 1e-5,
    int Epochs = 2,
    int MiniBatch = 8,
    double Clip = 0.2,
    double ValueClip = 0.2,
    double ValueLr = 5e-5,
    int ValueWarmup = 5,
    double ValueGradClip = 1.0,
    bool NormalizeRewards = true,
    double NoEndPenalty = 1.0,
    string? PromptKinds = null,
    double Gamma = 1.0,
    double Lambda = 0.95,
    int MaxNewTokens = 64,
    float Temperature = 1f,
    double GradClip = 1.0,
    int SampleEvery = 10,
    int CheckpointEvery = 25,
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
    public RlOptions Validate()
    {
        Core.SharpLmException.Require(Prompts.Count > 0, "--prompts", "needs at least one prompt file");
        Core.SharpLmException.Require(Steps > 0, "--steps", $"must be positive (got {Steps})");
        Core.SharpLmException.Require(Rollouts > 0, "--rollouts", $"must be positive (got {Rollouts})");
        Core.SharpLmException.Require(Group >= 2, "--group", $"must be at least 2 (got {Group}): GRPO compares answers to the same prompt");
        Core.SharpLmException.Require(KindBaseline is >= 0 and <= 1, "--kind-baseline", $"must be between 0 and 1 (got {KindBaseline.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        Core.SharpLmException.NonNegative(KlCoef, "--kl-coef");
        if (TargetKl is { } targetKl) Core.SharpLmException.Positive(targetKl, "--target-kl");
        Core.SharpLmException.Positive(KlHorizon, "--kl-horizon");
        Core.SharpLmException.Positive(Lr, "--lr");
        Core.SharpLmException.NonNegative(ValueClip, "--value-clip");
        Core.SharpLmException.InRange(Gamma, "--gamma", 0, 1.000001);
        Core.SharpLmException.InRange(Lambda, "--lambda", 0, 1.000001);
        Core.SharpLmException.Positive(Temperature, "--temperature");
        Core.SharpLmException.NonNegative(GradClip, "--grad-clip");
        Core.SharpLmException.Require(SampleEvery > 0, "--sample-every", $"must be positive (got {SampleEvery})");
        Core.SharpLmException.Require(KeepLast > 0, "--keep", $"must be positive (got {KeepLast})");
        Core.SharpLmException.Require(Threads >= 0, "--threads", $"must be 0 (all cores) or positive (got {Threads})");
        if (TimeLimitSeconds is { } limit) Core.SharpLmException.NonNegative(limit, "time limit");
        Training.ComputePrecision.Check(Precision, Training.ComputePrecision.TrainingNames);
        Core.TorchRuntime.ParseDevice(Device);
        Core.SharpLmException.Require(Epochs > 0, "--epochs", $"must be positive (got {Epochs})");
        Core.SharpLmException.Require(MiniBatch > 0, "--mini-batch", $"must be positive (got {MiniBatch})");
        Core.SharpLmException.Positive(Clip, "--clip");
        Core.SharpLmException.Positive(ValueLr, "--value-lr");
        Core.SharpLmException.Require(ValueWarmup >= 0, "--value-warmup", $"must be 0 or positive (got {ValueWarmup})");
        Core.SharpLmException.Require(MaxNewTokens > 0, "--max-tokens", $"must be positive (got {MaxNewTokens})");
        Core.SharpLmException.Require(CheckpointEvery > 0, "--checkpoint-every", $"must be positive (got {CheckpointEvery})");
        Core.SharpLmException.Require(MaxPromptTokens is null or > 0, "--max-prompt-tokens", $"must be positive (got {MaxPromptTokens})");
        return this;
    }
}

/// <summary>What one RL iteration measured (means over its rollouts and updates).</summary>
/// <param name="Kl">Mean over answers of Σ_t (log π − log π_ref): the sampled sequence KL to the reference, in nats.</param>
/// <param name="ValueLoss">PPO only (0 for GRPO).</param>
/// <param name="KlCoef">The β in force during the iteration.</param>
/// <param name="ByKind">The same figures per prompt kind, when the prompts' kinds are known.</param>
public sealed record RlStep(long Step, double MeanReward, double Kl, double Entropy, double ResponseLength, double ClipFraction, double PolicyLoss,
    double ValueLoss, double KlCoef, IReadOnlyDictionary<string, KindFigures>? ByKind = null);

/// <summary>One prompt kind's mean reward (as scored, before normalisation), KL, entropy and answer length in an iteration.</summary>
public sealed record KindFigures(double Reward, double Kl, double Entropy, double Length, int Rows);

/// <summary>Per-row figures of an iteration, averaged per kind for <see cref="RlStep.ByKind"/>.</summary>
public static class KindAverages
{
    public static IReadOnlyDictionary<string, KindFigures>? Of(IReadOnlyList<string?> kinds, float[] scores, float[] kl, float[] entropy, int[] lengths)
    {
        if (kinds.All(k => k is null)) return null;
        return Enumerable.Range(0, kinds.Count).Where(i => kinds[i] is not null).GroupBy(i => kinds[i]!).ToDictionary(g => g.Key, g => new KindFigures(
            g.Average(i => scores[i]), g.Average(i => kl[i]), g.Average(i => entropy[i]), g.Average(i => lengths[i]), g.Count()));
    }
}

/// <summary>What an RL run did: every iteration's figures and where the policy is.</summary>
public sealed record RlResult(string RunDir, string ModelDir, IReadOnlyList<RlStep> History);

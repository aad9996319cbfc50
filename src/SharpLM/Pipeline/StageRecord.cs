using System.Text.Json;
using SharpLM.Core;

namespace SharpLM.Pipeline;

/// <summary>
/// What one finished stage did, written as <c>stage.json</c> in its folder once the stage and its evaluation are complete:
/// its presence (with a verified <c>model/</c>) is what makes a re-run skip the stage.
/// </summary>
/// <param name="Stage">"base", "sft", "reward", "ppo" or "dpo".</param>
/// <param name="Seconds">Wall-clock seconds of training (the evaluation excluded).</param>
/// <param name="Tokens">Tokens the stage trained on (for RL: prompt and answer tokens of the rollouts).</param>
/// <param name="Figures">Stage-specific figures (reward model pair accuracy, mean reward and KL, retention loss...).</param>
/// <param name="Eval">The evaluation of the stage's model; null for the reward model, which is measured by its pair accuracy.</param>
/// <param name="RewardHistory">RL stages: mean reward and KL per iteration.</param>
/// <param name="Chats">Greedy answers of the stage's model to a few fixed chat prompts.</param>
public sealed record StageRecord(
    string Stage,
    double Seconds,
    double EvalSeconds,
    long Steps,
    long Tokens,
    IReadOnlyDictionary<string, double> Figures,
    StageEvaluation? Eval,
    IReadOnlyList<RewardPoint>? RewardHistory = null,
    IReadOnlyList<ChatSample>? Chats = null)
{
    public const string FileName = "stage.json";

    public double TokensPerSecond => Seconds > 0 ? Tokens / Seconds : 0;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>The record in <paramref name="dir"/>, or null when the stage has not finished (no or unreadable file).</summary>
    public static StageRecord? TryLoad(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<StageRecord>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }
}

/// <summary>One RL iteration's mean reward and sequence KL to the reference.</summary>
public sealed record RewardPoint(long Step, double MeanReward, double Kl);

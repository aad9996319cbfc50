using SharpLM.Training;

namespace SharpLM.Alignment;

/// <summary>dpo.png: the chosen and rejected answers' summed log-probabilities and implicit rewards per step.</summary>
public static class DpoChart
{
    public const string FileName = "dpo.png";

    public static void Render(MetricsLog metrics, string pngPath, string title) =>
        RewardChart.Lines(metrics, pngPath, title, "step", "summed log-probability", "β·(log π − log π_ref)",
        [
            ("chosen_logp", "chosen log p", false), ("rejected_logp", "rejected log p", false),
            ("chosen_reward", "chosen implicit reward", true), ("rejected_reward", "rejected implicit reward", true),
        ]);
}

using SharpLM.Data;

namespace SharpLM.Alignment.Rewards;

/// <summary>One sampled answer to score: the prompt record (with its reference, if any), the answer text and both as ids.</summary>
public sealed record RewardInput(PromptRecord Prompt, string Response, PromptResponse Ids);

/// <summary>A reward for RL: a number per answer, higher is better. GRPO and PPO call it on a whole batch of rollouts.</summary>
public interface IRewardFunction
{
    string Name { get; }

    float[] Score(IReadOnlyList<RewardInput> items);
}

namespace SharpLM.Alignment.Rewards;

/// <summary>The learned reward: a <see cref="RewardModel"/>'s score of prompt + answer ids (same tokenizer as the policy).</summary>
public sealed class RewardModelReward(RewardModel model) : IRewardFunction
{
    public string Name => "reward-model";

    public RewardModel Model => model;

    public float[] Score(IReadOnlyList<RewardInput> items) => model.Score(items.Select(i => i.Ids).ToList());
}

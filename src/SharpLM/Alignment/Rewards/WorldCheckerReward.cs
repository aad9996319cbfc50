using SharpLM.Core;
using SharpLM.Data.World;
using SharpLM.Evaluation;

namespace SharpLM.Alignment.Rewards;

/// <summary>
/// A verifiable reward: <see cref="WorldChecker"/>'s score of each answer, the prompt looked up among the world's items
/// (rl_prompts.jsonl or eval.jsonl) by its text, as nanochat's RL checks GSM8K answers.
/// </summary>
public sealed class WorldCheckerReward(IReadOnlyList<EvalItem> items) : IRewardFunction
{
    readonly Dictionary<string, EvalItem> _byPrompt = items.GroupBy(i => i.Prompt).ToDictionary(g => g.Key, g => g.First());

    public string Name => "world-checker";

    public IReadOnlyList<EvalItem> Items => items;

    /// <summary>The checker over <paramref name="dir"/>/rl_prompts.jsonl (a world folder) or over the items file given.</summary>
    public static WorldCheckerReward Load(string dir)
    {
        var path = Directory.Exists(dir) ? Path.Combine(dir, WorldExport.RlPromptsJsonl) : dir;
        return new WorldCheckerReward(WorldExport.ReadItems(path));
    }

    public float[] Score(IReadOnlyList<RewardInput> inputs) => [.. inputs.Select(i =>
    {
        var prompt = i.Prompt.Prompt[^1].Content;
        if (!_byPrompt.TryGetValue(prompt, out var item))
            throw new SharpLmException($"{i.Prompt.Source}: the world checker does not know this prompt (not in the world's items): {prompt}");
        return WorldChecker.Score(item, i.Response);
    })];
}

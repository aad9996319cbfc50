using SharpLM.Alignment.Rewards;
using SharpLM.Data;
using SharpLM.Inference;
using SharpLM.Tokenization;

namespace SharpLM.Alignment;

/// <summary>Sampled answers to a batch of prompts, as ids ready for teacher forcing, with their rewards.</summary>
public sealed record RolloutBatch(IReadOnlyList<PromptRecord> Prompts, IReadOnlyList<PromptResponse> Rows, IReadOnlyList<Generation> Generations, float[] Scores);

/// <summary>Collects rollouts through the inference engine's batched generation (one batch for all rows), then scores them.</summary>
public static class Rollouts
{
    public static RolloutBatch Collect(Generator generator, ChatTemplate template, IReadOnlyList<PromptRecord> prompts, IRewardFunction reward,
        RlOptions o, long step)
    {
        var promptIds = prompts.Select(p => template.RenderForGeneration(p.Prompt)).ToList();
        int longest = promptIds.Max(p => p.Length);
        if (longest >= generator.ContextLength)
            throw new Core.SharpLmException($"{prompts[promptIds.FindIndex(p => p.Length == longest)].Source}: the prompt has {longest} tokens, the model's context is {generator.ContextLength}");
        var options = new GenerationOptions(
            MaxNewTokens: Math.Min(o.MaxNewTokens, generator.ContextLength - longest),
            Sampling: new SamplingOptions(Temperature: o.Temperature),
            StopTokenIds: [template.AssistantEndId],
            Seed: Seeds.Derive(o.Seed, step)).Validate();
        var generations = generator.Generate(promptIds, options);
        var rows = promptIds.Select((p, i) => new PromptResponse(p, generations[i].Tokens)).ToList();
        var scores = reward.Score(prompts.Select((p, i) => new RewardInput(p, generations[i].Text, rows[i])).ToList());
        return new RolloutBatch(prompts, rows, generations, scores);
    }
}

using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>A prompt for RL rollouts and, when the file has one, the reference answer reward functions check against.</summary>
public sealed record PromptRecord(IReadOnlyList<ChatMessage> Prompt, string? Reference, string Source);

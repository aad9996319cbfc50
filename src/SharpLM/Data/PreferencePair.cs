using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// One human (or model) judgement: given the conversation <paramref name="Prompt"/> (ending with a user message), the
/// answer <paramref name="Chosen"/> was preferred to <paramref name="Rejected"/>. <paramref name="Source"/> is "file:line".
/// </summary>
public sealed record PreferencePair(IReadOnlyList<ChatMessage> Prompt, string Chosen, string Rejected, string Source);

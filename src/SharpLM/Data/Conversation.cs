using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>One training conversation and where it came from ("file:line"), so later errors can point back at the record.</summary>
public sealed record Conversation(IReadOnlyList<ChatMessage> Messages, string Source);

/// <summary>Conversations read from one or more files, with the count of malformed records skipped (and the first reasons).</summary>
public sealed record ConversationSet(IReadOnlyList<Conversation> Conversations, int Skipped, IReadOnlyList<string> SkipReasons);

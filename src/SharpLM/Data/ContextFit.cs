using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// Fits rendered conversations into <c>maxTokens</c> ids (context length + 1, since targets are the ids shifted by one).
/// Truncation keeps the BOS token, then the newest history tokens that fit, then the last assistant turn (its start token,
/// answer and end token) whole; a conversation whose last turn alone does not fit is skipped under either policy.
/// </summary>
public static class ContextFit
{
    /// <param name="sources">Each conversation's file:line, for the error of <see cref="LongRecordPolicy.Error"/>.</param>
    public static (List<RenderedConversation> Fitted, FitCounts Counts) Apply(IReadOnlyList<RenderedConversation> conversations,
        int maxTokens, LongRecordPolicy policy, int bosId, int assistantStartId, IReadOnlyList<string>? sources = null)
    {
        var fitted = new List<RenderedConversation>();
        int kept = 0, truncated = 0, dropped = 0;
        for (int i = 0; i < conversations.Count; i++)
        {
            var c = conversations[i];
            if (c.Ids.Length <= maxTokens) { fitted.Add(c); kept++; continue; }
            if (policy == LongRecordPolicy.Error)
                throw LongRecords.TooLong(sources?[i] ?? $"conversation {i + 1}", "conversation", c.Ids.Length, maxTokens,
                    "the model's context + 1");
            var cut = policy == LongRecordPolicy.TruncateLeft ? Truncate(c, maxTokens, bosId, assistantStartId) : null;
            if (cut is null) dropped++;
            else { fitted.Add(cut); truncated++; }
        }
        return (fitted, new FitCounts(kept, truncated, dropped));
    }

    /// <summary>BOS + the last <c>maxTokens - 1</c> ids, or null when the last assistant turn needs more than that.</summary>
    public static RenderedConversation? Truncate(RenderedConversation c, int maxTokens, int bosId, int assistantStartId)
    {
        int lastTurn = Array.LastIndexOf(c.Ids, assistantStartId);
        int keep = maxTokens - 1;
        if (lastTurn < 0 || c.Ids.Length - lastTurn > keep) return null;
        int from = c.Ids.Length - keep;
        return new RenderedConversation([bosId, .. c.Ids[from..]], [0, .. c.Mask[from..]]);
    }
}

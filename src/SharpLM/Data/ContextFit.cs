using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>What to do with a conversation longer than the model's context.</summary>
public enum OverflowPolicy
{
    /// <summary>Cut tokens from the left of the history (after the BOS token), keeping the last assistant turn whole.</summary>
    TruncateHistory,
    /// <summary>Leave the conversation out.</summary>
    Drop,
}

/// <summary>How many conversations fitted as they were, were truncated, or were dropped.</summary>
public sealed record FitCounts(int Kept, int Truncated, int Dropped);

/// <summary>
/// Fits rendered conversations into <c>maxTokens</c> ids (context length + 1, since targets are the ids shifted by one).
/// Truncation keeps the BOS token, then the newest history tokens that fit, then the last assistant turn (its start token,
/// answer and end token) whole; a conversation whose last turn alone does not fit is dropped under either policy.
/// </summary>
public static class ContextFit
{
    public static (List<RenderedConversation> Fitted, FitCounts Counts) Apply(
        IEnumerable<RenderedConversation> conversations, int maxTokens, OverflowPolicy policy, int bosId, int assistantStartId)
    {
        var fitted = new List<RenderedConversation>();
        int kept = 0, truncated = 0, dropped = 0;
        foreach (var c in conversations)
        {
            if (c.Ids.Length <= maxTokens) { fitted.Add(c); kept++; continue; }
            var cut = policy == OverflowPolicy.TruncateHistory ? Truncate(c, maxTokens, bosId, assistantStartId) : null;
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

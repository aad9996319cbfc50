using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// Fits RL prompts into <c>limit</c> tokens as rendered for generation. Truncation works on the text, so the chat
/// template stays whole: earlier turns go first (a system message stays), then the start of the last user message is cut.
/// </summary>
public static class PromptFit
{
    public static (List<PromptRecord> Fitted, FitCounts Counts) Apply(IReadOnlyList<PromptRecord> prompts, ChatTemplate template,
        int limit, LongRecordPolicy policy, string limitOrigin)
    {
        var fitted = new List<PromptRecord>(prompts.Count);
        int kept = 0, truncated = 0, dropped = 0;
        foreach (var p in prompts)
        {
            int length = Length(template, p.Prompt);
            if (length <= limit) { fitted.Add(p); kept++; continue; }
            if (policy == LongRecordPolicy.Error) throw LongRecords.TooLong(p.Source, "prompt", length, limit, limitOrigin);
            var cut = policy == LongRecordPolicy.TruncateLeft ? Truncate(template, p.Prompt, limit) : null;
            if (cut is null) dropped++;
            else { fitted.Add(p with { Prompt = cut }); truncated++; }
        }
        return (fitted, new FitCounts(kept, truncated, dropped));
    }

    static int Length(ChatTemplate template, IReadOnlyList<ChatMessage> messages) => template.RenderForGeneration(messages).Length;

    /// <summary>The messages cut from the left until they render in <paramref name="limit"/> tokens; null when nothing fits.</summary>
    public static IReadOnlyList<ChatMessage>? Truncate(ChatTemplate template, IReadOnlyList<ChatMessage> messages, int limit)
    {
        var list = messages.ToList();
        int first = list.Count > 0 && list[0].Role == ChatMessage.System ? 1 : 0;
        // Drop whole earlier exchanges (user + assistant) while more than the last user message remains.
        while (list.Count - first > 1 && Length(template, list) > limit) list.RemoveRange(first, Math.Min(2, list.Count - first - 1));
        if (Length(template, list) <= limit) return list;
        // Cut the start of the last message: the shortest cut (binary search on characters) that fits.
        var text = list[^1].Content;
        int lo = 1, hi = text.Length - 1; // keep at least one character
        if (hi < lo || !Fits(hi)) return null;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (Fits(mid)) hi = mid;
            else lo = mid + 1;
        }
        list[^1] = list[^1] with { Content = Cut(lo) };
        return list;

        string Cut(int chars)
        {
            int from = chars;
            if (char.IsLowSurrogate(text[from]) && from < text.Length - 1) from++; // never split a surrogate pair
            return text[from..];
        }

        bool Fits(int chars)
        {
            var trial = list.ToList();
            trial[^1] = trial[^1] with { Content = Cut(chars) };
            return Length(template, trial) <= limit;
        }
    }
}

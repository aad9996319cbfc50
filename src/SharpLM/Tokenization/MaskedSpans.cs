namespace SharpLM.Tokenization;

/// <summary>A run of consecutive tokens of a rendered conversation that are all trained or all context, decoded together.</summary>
public sealed record MaskedSpan(string Text, bool Trained, int Tokens);

public static class MaskedSpans
{
    /// <summary>Splits a rendered conversation where the loss mask changes, so a person can see exactly what is trained.</summary>
    public static List<MaskedSpan> Of(Tokenizer tokenizer, RenderedConversation conversation)
    {
        var spans = new List<MaskedSpan>();
        int start = 0;
        for (int i = 1; i <= conversation.Ids.Length; i++)
        {
            if (i < conversation.Ids.Length && conversation.Mask[i] == conversation.Mask[start]) continue;
            spans.Add(new MaskedSpan(tokenizer.Decode(conversation.Ids.AsSpan(start, i - start)), conversation.Mask[start] != 0, i - start));
            start = i;
        }
        return spans;
    }
}

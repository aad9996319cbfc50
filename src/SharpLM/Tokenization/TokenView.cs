using System.Buffers;
using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// A displayable piece of tokenized text: one token, or several consecutive tokens merged because they split a
/// character (a Chinese character over two byte tokens). Byte offsets are into the UTF-8 of the decoded text.
/// </summary>
public sealed record TokenSpan(IReadOnlyList<int> Ids, int ByteStart, int ByteEnd, string Text, bool IsSpecial)
{
    /// <summary>The text with whitespace and control characters made visible (\n, \t, \u0007), for one-line displays.</summary>
    public string Printable => string.Concat(Text.Select(c => c switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ when char.IsControl(c) => $"\\u{(int)c:X4}",
        _ => c.ToString(),
    }));
}

/// <summary>Text, ids and display spans of one encoding, with the counts a viewer shows.</summary>
public sealed record TokenizedText(string Text, int[] Ids, IReadOnlyList<TokenSpan> Spans, int Characters, int Bytes);

/// <summary>Turns token ids into spans of whole characters, for the tokenize verb and glass-box views.</summary>
public static class TokenView
{
    public static TokenizedText Analyze(Tokenizer tokenizer, string text, bool allowSpecial = false)
    {
        var ids = tokenizer.Encode(text, allowSpecial);
        var spans = Spans(tokenizer, ids);
        return new TokenizedText(text, ids, spans, text.EnumerateRunes().Count(), Encoding.UTF8.GetByteCount(text));
    }

    /// <summary>
    /// Groups ids into spans that each end on a UTF-8 character boundary; specials are always spans of their own.
    /// </summary>
    public static IReadOnlyList<TokenSpan> Spans(Tokenizer tokenizer, ReadOnlySpan<int> ids)
    {
        var spans = new List<TokenSpan>();
        var pending = new List<int>();
        var bytes = new List<byte>();
        int offset = 0;
        void Emit(bool special)
        {
            if (pending.Count == 0) return;
            var raw = bytes.ToArray();
            spans.Add(new TokenSpan(pending.ToArray(), offset, offset + raw.Length, Encoding.UTF8.GetString(raw), special));
            offset += raw.Length;
            pending.Clear();
            bytes.Clear();
        }
        foreach (var id in ids)
        {
            var tokenBytes = tokenizer.TokenBytes(id);
            if (tokenizer.IsSpecial(id))
            {
                Emit(false);
                pending.Add(id);
                bytes.AddRange(tokenBytes);
                Emit(true);
                continue;
            }
            pending.Add(id);
            bytes.AddRange(tokenBytes);
            if (!EndsInsideCharacter(bytes)) Emit(false);
        }
        Emit(false);
        return spans;
    }

    static bool EndsInsideCharacter(List<byte> bytes)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        return Rune.DecodeLastFromUtf8(span, out _, out _) == OperationStatus.NeedMoreData;
    }
}

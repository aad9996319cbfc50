using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// Decodes a stream of token ids (e.g. during generation) into text without ever emitting U+FFFD for a character that is
/// split across tokens: incomplete UTF-8 is held until the rest arrives. Bytes that can never become valid UTF-8 still
/// decode as U+FFFD, like <see cref="Tokenizer.Decode"/>. Call <see cref="Flush"/> at the end of the stream.
/// </summary>
public sealed class StreamingDecoder(Tokenizer tokenizer)
{
    readonly Decoder _utf8 = new UTF8Encoding(false, throwOnInvalidBytes: false).GetDecoder();

    /// <summary>Adds one token; returns the text it completes (possibly empty).</summary>
    public string Push(int id) => Decode(tokenizer.TokenBytes(id), flush: false);

    /// <summary>Adds several tokens; returns the text they complete.</summary>
    public string Push(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids) sb.Append(Push(id));
        return sb.ToString();
    }

    /// <summary>
    /// Ends a stream that was cut (a token limit, a full context): the bytes of a character whose rest never came are
    /// dropped, so the text ends on a whole character rather than on U+FFFD.
    /// </summary>
    public void DropIncomplete() => _utf8.Reset();

    /// <summary>Ends the stream: held bytes that never completed a character come out as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    string Decode(byte[] bytes, bool flush)
    {
        var chars = new char[_utf8.GetCharCount(bytes, flush) + 1];
        int n = _utf8.GetChars(bytes, chars, flush);
        return new string(chars, 0, n);
    }
}

using System.Text;
using SharpLM.Tokenization;

namespace SharpLM.Inference;

/// <summary>
/// Turns token ids, pushed one at a time, into complete text pieces. Bytes of a character split over several byte-level
/// tokens are held until the character is complete (never a U+FFFD in the middle of a stream). Text that could be the start
/// of a stop string is held until it is known not to be one; a stop string itself is never emitted, and after it nothing is.
/// A special token shows as its text but is never part of a stop string match.
/// </summary>
public sealed class TextStreamer
{
    readonly Tokenizer _tokenizer;
    readonly StreamingDecoder _utf8;         // holds an incomplete UTF-8 sequence until its character is complete
    readonly string[] _stops;
    readonly StringBuilder _held = new();   // decoded text that may begin a stop string

    public TextStreamer(Tokenizer tokenizer, IEnumerable<string>? stopStrings = null)
    {
        _tokenizer = tokenizer;
        _utf8 = new StreamingDecoder(tokenizer);
        _stops = stopStrings?.Where(s => s.Length > 0).Distinct().ToArray() ?? [];
    }

    /// <summary>The stop string that ended the text, or null.</summary>
    public string? MatchedStop { get; private set; }

    public bool Stopped => MatchedStop is not null;

    /// <summary>Adds a token; returns the text it makes safe to show (often empty while a character or a stop is pending).</summary>
    public string Push(int id)
    {
        if (Stopped) return "";
        if (_tokenizer.IsSpecial(id))
        {
            var before = Flush(); // a stop string cannot run across a special token
            return Stopped ? before : before + Encoding.UTF8.GetString(_tokenizer.TokenBytes(id));
        }
        var text = _utf8.Push(id);
        if (text.Length == 0) return "";
        _held.Append(text);
        return Release();
    }

    /// <summary>
    /// At the end of generation: everything still held. A character whose bytes were cut off by the end is dropped, so
    /// text cut at a token limit never ends in a broken character (U+FFFD).
    /// </summary>
    public string Flush()
    {
        if (Stopped) return "";
        _utf8.DropIncomplete();
        var text = _held.ToString();
        _held.Clear();
        // A stop string can still appear whole in the held text only if it ended in the bytes just flushed.
        var (at, stop) = FirstStop(text);
        if (stop is null) return text;
        MatchedStop = stop;
        return text[..at];
    }

    string Release()
    {
        var text = _held.ToString();
        var (at, stop) = FirstStop(text);
        if (stop is not null)
        {
            MatchedStop = stop;
            _held.Clear();
            return text[..at];
        }
        // Hold back the longest tail that is a proper prefix of some stop string.
        int keep = 0;
        foreach (var s in _stops)
            for (int n = Math.Min(s.Length - 1, text.Length); n > keep; n--)
                if (string.CompareOrdinal(text, text.Length - n, s, 0, n) == 0) { keep = n; break; }
        _held.Remove(0, text.Length - keep);
        return text[..^keep];
    }

    (int At, string? Stop) FirstStop(string text)
    {
        int best = int.MaxValue;
        string? found = null;
        foreach (var s in _stops)
        {
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && i < best) { best = i; found = s; }
        }
        return (best, found);
    }
}

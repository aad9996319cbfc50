using System.Text;
using System.Text.RegularExpressions;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>
/// Splits text into pre-tokens ("chunks") that BPE never merges across: first the regex, then every chunk longer than
/// <see cref="MaxBytes"/> UTF-8 bytes is cut at character boundaries. BPE time grows quadratically with the length of one
/// chunk, so the cap keeps adversarial input (a 64k-character run of Chinese) linear. Training and encoding share this
/// class, so both see the same chunks.
/// </summary>
public sealed class ChunkSplitter
{
    /// <summary>
    /// The GPT-4 (cl100k_base) split pattern. Python writes it with possessive quantifiers (<c>?+</c>, <c>++</c>), which
    /// .NET rejects; atomic groups <c>(?&gt;…)</c> mean the same and give ids identical to OpenAI's tiktoken.
    /// </summary>
    public const string Gpt4Pattern =
        @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}{1,3}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

    /// <summary>The GPT-4o (o200k_base) split pattern; it has no possessive quantifiers.</summary>
    public const string O200kPattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Default cap on one chunk, in UTF-8 bytes (85 Chinese characters, far above any English word).</summary>
    public const int DefaultMaxBytes = 256;

    readonly Regex _regex;

    public ChunkSplitter(string pattern, int maxBytes)
    {
        if (maxBytes < 4) throw new SharpLmException($"max pre-token bytes must be at least 4 (one UTF-8 character), got {maxBytes}");
        try
        {
            _regex = new Regex(WholeSurrogatePairs(pattern), RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            var hint = pattern.Contains("?+") || pattern.Contains("++") || pattern.Contains("*+")
                ? " (.NET has no possessive quantifiers such as ?+ or ++; write them as atomic groups (?>...))"
                : "";
            throw new SharpLmException($"invalid pre-tokenizer pattern{hint}: {e.Message}");
        }
        Pattern = pattern;
        MaxBytes = maxBytes;
    }

    public string Pattern { get; }
    public int MaxBytes { get; }

    /// <summary>
    /// .NET matches UTF-16 units, Python's tiktoken, Hugging Face (Rust) and llama.cpp match code points: there
    /// <c>[^\r\n\p{L}\p{N}]?\p{L}+</c> takes "🍎和香蕉" as one chunk (the emoji is one character), here the optional class
    /// could only take half of the surrogate pair. So every negated class also accepts a whole surrogate pair, tried
    /// first; astral characters then behave as the non-letter, non-digit symbols (emoji) that nearly all of them are (rare
    /// astral letters, such as CJK extension B, still split differently).
    /// </summary>
    internal static string WholeSurrogatePairs(string pattern) =>
        Regex.Replace(pattern, @"(?<!\\)\[\^(?:\\.|[^\]\\])*\]", m => $@"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|{m.Value})");

    /// <summary>Appends the chunks of <paramref name="text"/> to <paramref name="into"/> as (offset, length) in chars.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Offset, int Length)> into)
    {
        foreach (var m in _regex.EnumerateMatches(text))
        {
            // A char is at most 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2 chars), so short chunks need no count.
            if (m.Length * 3 <= MaxBytes) into.Add((m.Index, m.Length));
            else Cap(text, m.Index, m.Length, into);
        }
    }

    void Cap(ReadOnlySpan<char> text, int offset, int length, List<(int Offset, int Length)> into)
    {
        int start = offset, bytes = 0, i = offset, end = offset + length;
        while (i < end)
        {
            int n = char.IsHighSurrogate(text[i]) && i + 1 < end && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int b = n == 2 ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            if (bytes + b > MaxBytes)
            {
                into.Add((start, i - start));
                start = i;
                bytes = 0;
            }
            bytes += b;
            i += n;
        }
        into.Add((start, end - start));
    }

    /// <summary>
    /// Replaces each lone UTF-16 surrogate with one U+FFFD, as OpenAI's tiktoken does (Python's strings cannot hold them
    /// through its UTF-8 step). Without this, a lone surrogate would encode to 3 bytes that decode as three U+FFFD.
    /// </summary>
    public static string ReplaceLoneSurrogates(string text)
    {
        int first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString();
    }
}

using System.Text;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>
/// Reads and writes tiktoken rank files ("base64-bytes rank" per line). Microsoft.ML.Tokenizers 2.0.1 loops forever on a
/// blank line or a doubled final newline, silently corrupts output on duplicate ranks, and throws KeyNotFoundException
/// much later when a single byte is missing, so every file is validated here before the library sees it.
/// </summary>
public static class TiktokenRanks
{
    /// <summary>Writes ranks 0..n-1 in order, one line each, no blank lines, a single trailing newline.</summary>
    public static byte[] Serialize(IReadOnlyList<byte[]> ranks)
    {
        var sb = new StringBuilder(ranks.Count * 12);
        for (int r = 0; r < ranks.Count; r++) sb.Append(Convert.ToBase64String(ranks[r])).Append(' ').Append(r).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>Parses and validates a rank file; returns token bytes indexed by rank.</summary>
    public static List<byte[]> Parse(string path, byte[] content)
    {
        if (content.Length == 0) throw SharpLmException.At(path, null, null, "empty rank file");
        if (content[^1] != '\n') throw SharpLmException.At(path, null, null, "truncated rank file (no final newline)");
        var ranks = new List<byte[]>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int line = 0, start = 0;
        while (start < content.Length)
        {
            line++;
            int nl = Array.IndexOf(content, (byte)'\n', start);
            var text = Encoding.ASCII.GetString(content, start, nl - start).TrimEnd('\r');
            start = nl + 1;
            if (text.Length == 0) throw SharpLmException.At(path, line, null, "blank line (rank files must not contain blank lines)");
            int space = text.IndexOf(' ');
            if (space <= 0 || !int.TryParse(text.AsSpan(space + 1), System.Globalization.NumberStyles.None, null, out var rank))
                throw SharpLmException.At(path, line, null, "expected \"<base64 bytes> <rank>\"");
            byte[] bytes;
            try { bytes = Convert.FromBase64String(text[..space]); }
            catch (FormatException) { throw SharpLmException.At(path, line, null, $"invalid base64 '{text[..space]}'"); }
            if (bytes.Length == 0) throw SharpLmException.At(path, line, null, "empty token");
            if (rank != ranks.Count)
                throw SharpLmException.At(path, line, null,
                    rank < ranks.Count ? $"duplicate or out-of-order rank {rank}" : $"rank {rank} skips rank {ranks.Count} (ranks must be contiguous)");
            if (!seen.Add(text[..space])) throw SharpLmException.At(path, line, null, "duplicate token bytes");
            ranks.Add(bytes);
        }
        var singles = new bool[256];
        foreach (var t in ranks) if (t.Length == 1) singles[t[0]] = true;
        int missing = Array.IndexOf(singles, false);
        if (missing >= 0) throw SharpLmException.At(path, null, null, $"byte 0x{missing:X2} has no token (all 256 single bytes are required)");
        return ranks;
    }
}

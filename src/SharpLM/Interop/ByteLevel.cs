using System.Text;

namespace SharpLM.Interop;

/// <summary>
/// GPT-2's byte-to-unicode table, which byte-level BPE vocabularies in tokenizer.json and GGUF use to store token bytes
/// as printable text: the 188 printable Latin-1 bytes stand for themselves, the other 68 bytes become U+0100… in byte order.
/// </summary>
public static class ByteLevel
{
    static readonly char[] ToChar = Build();
    static readonly Dictionary<char, byte> ToByte = Enumerable.Range(0, 256).ToDictionary(b => ToChar[b], b => (byte)b);

    static char[] Build()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    /// <summary>Token bytes as the vocabulary string that stands for them.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes) sb.Append(ToChar[b]);
        return sb.ToString();
    }

    /// <summary>The bytes a vocabulary string stands for, or null when it holds a character outside the table.</summary>
    public static byte[]? Decode(string text)
    {
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!ToByte.TryGetValue(text[i], out var b)) return null;
            bytes[i] = b;
        }
        return bytes;
    }
}

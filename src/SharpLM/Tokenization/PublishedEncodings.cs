using System.Collections.Concurrent;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace SharpLM.Tokenization;

/// <summary>
/// OpenAI's published encodings (from the Microsoft.ML.Tokenizers.Data packages) behind the same <see cref="Tokenizer"/>
/// interface, for comparison. Their own specials keep their ids; SharpLM's specials follow the highest id.
/// Pre-tokens are capped like ours, so ids can differ from tiktoken only inside a pre-token over 256 bytes.
/// </summary>
public static class PublishedEncodings
{
    static readonly Dictionary<string, string> Patterns = new(StringComparer.Ordinal)
    {
        ["cl100k_base"] = ChunkSplitter.Gpt4Pattern,
        ["o200k_base"] = ChunkSplitter.O200kPattern,
    };

    // Immutable once built, so one instance per encoding serves every caller.
    static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Cache = new(StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Names => Patterns.Keys;

    public static bool IsKnown(string name) => Patterns.ContainsKey(name);

    public static Tokenizer Load(string name)
    {
        if (!IsKnown(name)) throw new Core.SharpLmException($"unknown encoding '{name}' (known: {string.Join(", ", Names)})");
        return Cache.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Build(n))).Value;
    }

    static Tokenizer Build(string name)
    {
        var published = TiktokenTokenizer.CreateForEncoding(name);
        var ranks = ReadRanks(name);
        var specials = new Dictionary<string, int>(published.SpecialTokens ?? new Dictionary<string, int>(), StringComparer.Ordinal);
        int next = Math.Max(ranks.Count, specials.Count == 0 ? 0 : specials.Values.Max() + 1);
        foreach (var s in SpecialTokens.All) specials[s] = next++;
        return new BpeTokenizer(ranks, specials, new ChunkSplitter(Patterns[name], ChunkSplitter.DefaultMaxBytes));
    }

    // The Data packages embed the rank file deflated; TiktokenTokenizer does not expose token bytes publicly.
    static List<byte[]> ReadRanks(string name)
    {
        var assemblyName = name == "cl100k_base" ? "Microsoft.ML.Tokenizers.Data.Cl100kBase" : "Microsoft.ML.Tokenizers.Data.O200kBase";
        var resource = $"{name}.tiktoken.deflate";
        using var stream = Assembly.Load(assemblyName).GetManifestResourceStream(resource)
                           ?? throw new InvalidOperationException($"{assemblyName} lacks {resource}");
        using var inflated = new DeflateStream(stream, CompressionMode.Decompress);
        using var content = new MemoryStream();
        inflated.CopyTo(content);
        // Microsoft's copy is "Capacity: N" then one base64 token per CRLF line, its rank being the line index; rewrite it
        // in the standard format so it passes the same validation as our own files.
        var lines = Encoding.ASCII.GetString(content.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var standard = new StringBuilder();
        for (int rank = 0; rank < lines.Count; rank++) standard.Append(lines[rank]).Append(' ').Append(rank).Append('\n');
        return TiktokenRanks.Parse(resource, Encoding.ASCII.GetBytes(standard.ToString()));
    }
}

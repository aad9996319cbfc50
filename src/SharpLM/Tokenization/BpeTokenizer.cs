using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>
/// Byte-level BPE over a tiktoken rank file. We pre-tokenize (<see cref="ChunkSplitter"/>: regex, then the length cap)
/// and Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/> encodes each chunk. Special tokens are split out here
/// rather than handed to that library, whose pre-tokenizer only recognises them while they sit in its LRU cache.
/// Each thread keeps its own chunk → ids cache, so parallel encoding does not contend on the library's locked cache.
/// Files: <c>tokenizer.tiktoken</c> (readable by any tiktoken) and <c>tokenizer.json</c> (pattern, specials, training).
/// </summary>
public sealed class BpeTokenizer : Tokenizer
{
    public const string Kind = "bpe";
    public const string RankFile = "tokenizer.tiktoken";

    readonly TiktokenTokenizer _tiktoken;
    readonly byte[][] _bytes;                 // id → bytes, ordinary ranks then specials
    readonly Dictionary<string, int> _specials;
    readonly Regex _specialRegex;
    readonly byte[] _rankFile;
    readonly JsonObject? _training;
    readonly ThreadLocal<ChunkCache> _cache = new(() => new ChunkCache());

    internal BpeTokenizer(IReadOnlyList<byte[]> ranks, IReadOnlyDictionary<string, int> specials, ChunkSplitter splitter,
        JsonObject? training = null)
    {
        Splitter = splitter;
        RankCount = ranks.Count;
        _training = training;
        _specials = new Dictionary<string, int>(specials, StringComparer.Ordinal);
        var size = Math.Max(ranks.Count, specials.Count == 0 ? 0 : specials.Values.Max() + 1);
        _bytes = new byte[size][];
        for (int i = 0; i < ranks.Count; i++) _bytes[i] = ranks[i];
        foreach (var (text, id) in specials)
        {
            if (id < ranks.Count || _bytes[id] is not null)
                throw new SharpLmException($"special token {text} has id {id}, which is not above the last rank ({ranks.Count - 1}) or repeats another special");
            _bytes[id] = Encoding.UTF8.GetBytes(text);
        }
        for (int i = 0; i < size; i++) _bytes[i] ??= [];
        // Longest first, so a special that is a prefix of another never wins; "(?!)" (never matches) when there are none.
        _specialRegex = new Regex(specials.Count == 0
                ? "(?!)"
                : string.Join("|", specials.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)),
            RegexOptions.CultureInvariant);
        _rankFile = TiktokenRanks.Serialize(ranks);
        using var stream = new MemoryStream(_rankFile, writable: false);
        // Our per-thread cache answers repeated chunks, so the library's locked LRU cache is kept minimal.
        _tiktoken = TiktokenTokenizer.Create(stream, preTokenizer: null, normalizer: null, specialTokens: null, cacheSize: 1);
    }

    /// <summary>Pattern and length cap of the pre-tokenizer.</summary>
    public ChunkSplitter Splitter { get; }

    /// <summary>What training read and produced, when this instance was just trained (not stored on load).</summary>
    public BpeTrainingSummary? Training { get; init; }

    /// <summary>Number of ordinary tokens (ranks); specials follow.</summary>
    public int RankCount { get; }

    public override int VocabSize => _bytes.Length;
    public override IReadOnlyDictionary<string, int> SpecialTokenIds => _specials;

    /// <summary>
    /// Encodes text. Lone UTF-16 surrogates become U+FFFD first (as in tiktoken), so they decode as one U+FFFD.
    /// </summary>
    public override int[] Encode(string text, bool allowSpecial = false)
    {
        text = ChunkSplitter.ReplaceLoneSurrogates(text);
        var cache = _cache.Value!;
        var ids = new List<int>(text.Length / 2 + 4);
        if (!allowSpecial) EncodeOrdinary(text, cache, ids);
        else
        {
            int at = 0;
            foreach (var m in _specialRegex.EnumerateMatches(text))
            {
                EncodeOrdinary(text.AsSpan(at, m.Index - at), cache, ids);
                ids.Add(_specials[text.Substring(m.Index, m.Length)]);
                at = m.Index + m.Length;
            }
            EncodeOrdinary(text.AsSpan(at), cache, ids);
        }
        return [.. ids];
    }

    void EncodeOrdinary(ReadOnlySpan<char> text, ChunkCache cache, List<int> ids)
    {
        if (text.IsEmpty) return;
        cache.Chunks.Clear();
        Splitter.Split(text, cache.Chunks);
        foreach (var (offset, length) in cache.Chunks)
        {
            var chunk = text.Slice(offset, length);
            if (!cache.Lookup.TryGetValue(chunk, out var chunkIds))
            {
                chunkIds = [.. _tiktoken.EncodeToIds(chunk, considerPreTokenization: false, considerNormalization: false)];
                if (chunk.Length <= ChunkCache.MaxChunkChars) // long chunks (runs of Chinese) rarely repeat
                {
                    if (cache.Ids.Count >= ChunkCache.Capacity) cache.Ids.Clear(); // crude bound; refills with common chunks
                    cache.Ids[chunk.ToString()] = chunkIds;
                }
            }
            ids.AddRange(chunkIds);
        }
    }

    public override byte[] TokenBytes(int id) =>
        (uint)id < (uint)_bytes.Length && _bytes[id].Length > 0
            ? _bytes[id]
            : throw new SharpLmException($"token id {id} is outside the vocabulary (size {VocabSize})");

    public override string Decode(ReadOnlySpan<int> ids)
    {
        int total = 0;
        foreach (var id in ids) total += TokenBytes(id).Length;
        var buffer = new byte[total];
        int at = 0;
        foreach (var id in ids)
        {
            _bytes[id].CopyTo(buffer, at);
            at += _bytes[id].Length;
        }
        return Encoding.UTF8.GetString(buffer);
    }

    public override void Save(string dir)
    {
        AtomicFile.WriteAllBytes(Path.Combine(dir, RankFile), _rankFile);
        var json = new JsonObject
        {
            ["kind"] = Kind,
            ["vocab_size"] = VocabSize,
            ["pattern"] = Splitter.Pattern,
            ["max_pretoken_bytes"] = Splitter.MaxBytes,
            ["ranks"] = RankCount,
            ["special_tokens"] = new JsonObject(_specials.OrderBy(kv => kv.Value)
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        if (_training is not null) json["training"] = _training.DeepClone();
        AtomicFile.WriteAllText(Path.Combine(dir, DescriptorFile), json.ToJsonString(JsonOptions) + "\n");
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static Tokenizer LoadFrom(string dir)
    {
        var descriptor = Path.Combine(dir, DescriptorFile);
        var rankPath = Path.Combine(dir, RankFile);
        var node = JsonNode.Parse(File.ReadAllText(descriptor))?.AsObject()
                   ?? throw SharpLmException.At(descriptor, null, null, "empty file");
        string pattern = Field(node, descriptor, "pattern", n => n.GetValue<string>());
        int maxBytes = Field(node, descriptor, "max_pretoken_bytes", n => n.GetValue<int>());
        var specials = Field(node, descriptor, "special_tokens", n => n.AsObject()
            .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>(), StringComparer.Ordinal));
        if (!File.Exists(rankPath)) throw new SharpLmException($"{rankPath}: file not found");
        var ranks = TiktokenRanks.Parse(rankPath, File.ReadAllBytes(rankPath));
        if (specials.Values.Distinct().Count() != specials.Count)
            throw SharpLmException.At(descriptor, null, "special_tokens", "two special tokens share an id");
        foreach (var (text, id) in specials)
            if (id < ranks.Count)
                throw SharpLmException.At(descriptor, null, $"special_tokens.{text}",
                    $"id {id} collides with rank {id} of {rankPath} (specials must come after the last rank, {ranks.Count - 1})");
        return new BpeTokenizer(ranks, specials, new ChunkSplitter(pattern, maxBytes), node["training"]?.AsObject().DeepClone().AsObject());
    }

    static T Field<T>(JsonObject node, string path, string name, Func<JsonNode, T> read)
    {
        try
        {
            return node[name] is { } n ? read(n) : throw SharpLmException.At(path, null, name, "missing");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw SharpLmException.At(path, null, name, $"wrong type: {e.Message}");
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"bpe tokenizer ({VocabSize} ids)");

    sealed class ChunkCache
    {
        public const int Capacity = 1 << 16;
        public const int MaxChunkChars = 16;
        public readonly Dictionary<string, int[]> Ids = new(StringComparer.Ordinal);
        public readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> Lookup;
        public readonly List<(int Offset, int Length)> Chunks = [];
        public ChunkCache() => Lookup = Ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }
}

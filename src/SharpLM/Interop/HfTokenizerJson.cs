using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Interop;

/// <summary>
/// A byte-level BPE tokenizer as Hugging Face's tokenizer.json: the model (vocabulary as byte-level strings, merges
/// recovered from the ranks), a Split pre-tokenizer with our regex (Isolated) followed by ByteLevel without its own regex,
/// the ByteLevel decoder, and the specials as added tokens. Reading accepts that shape and GPT-2's (ByteLevel with its
/// regex) and turns it back into tiktoken ranks.
/// </summary>
public static class HfTokenizerJson
{
    public const string FileName = "tokenizer.json";

    /// <summary>GPT-2's split pattern, which a ByteLevel pre-tokenizer with use_regex applies.</summary>
    const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The ordinary tokens of a BPE tokenizer, indexed by rank.</summary>
    public static List<byte[]> Ranks(BpeTokenizer tokenizer) =>
        Enumerable.Range(0, tokenizer.RankCount).Select(tokenizer.TokenBytes).ToList();

    public static JsonObject Build(BpeTokenizer tokenizer)
    {
        var ranks = Ranks(tokenizer);
        var vocab = new JsonObject();
        for (int r = 0; r < ranks.Count; r++) vocab[ByteLevel.Encode(ranks[r])] = r;
        var merges = new JsonArray();
        foreach (var (left, right) in BpeMerges.FromRanks(ranks))
            merges.Add($"{ByteLevel.Encode(left)} {ByteLevel.Encode(right)}");
        var added = new JsonArray();
        foreach (var (text, id) in tokenizer.SpecialTokenIds.OrderBy(kv => kv.Value))
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = text, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        JsonObject ByteLevelStep(bool useRegex) => new()
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = useRegex,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = tokenizer.Splitter.Pattern },
                        ["behavior"] = "Isolated", ["invert"] = false,
                    },
                    ByteLevelStep(useRegex: false)),
            },
            ["post_processor"] = null,
            ["decoder"] = ByteLevelStep(useRegex: false),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                // tiktoken returns a chunk that is itself a token without merging, as ignore_merges does.
                ["ignore_merges"] = true,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
    }

    /// <summary>Reads a byte-level BPE tokenizer.json; errors name the file and the field.</summary>
    public static BpeTokenizer Read(string path)
    {
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw SharpLmException.At(path, null, null, "empty file");
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(path, e.LineNumber + 1, null, $"invalid JSON: {e.Message}");
        }
        SharpLmException Bad(string field, string message) => SharpLmException.At(path, null, field, message);

        var model = root["model"] as JsonObject ?? throw Bad("model", "missing");
        var type = model["type"]?.GetValue<string>();
        if (type != "BPE") throw Bad("model.type", $"'{type}' is not supported (only byte-level BPE)");
        if (model["byte_fallback"]?.GetValue<bool>() == true)
            throw Bad("model.byte_fallback", "SentencePiece-style byte fallback is not supported (only byte-level BPE)");
        // Qwen's tokenizers NFC-normalise first; SharpLM does not, which changes nothing for text already in NFC (nearly
        // all text). Any other normaliser would change the ids.
        if (root["normalizer"] is JsonObject normalizer && normalizer["type"]?.GetValue<string>() != "NFC")
            throw Bad("normalizer", $"'{normalizer["type"]}' is not supported (none or NFC)");
        string pattern = PreTokenizerPattern(root["pre_tokenizer"], Bad);

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root["added_tokens"] is JsonArray addedTokens)
            foreach (var t in addedTokens)
                added[t?["content"]?.GetValue<string>() ?? throw Bad("added_tokens", "an entry has no content")] =
                    t["id"]?.GetValue<int>() ?? throw Bad("added_tokens", "an entry has no id");

        var vocabNode = model["vocab"] as JsonObject ?? throw Bad("model.vocab", "missing");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (text, id) in vocabNode) vocab[text] = id?.GetValue<int>() ?? throw Bad($"model.vocab.{text}", "no id");
        var ordinary = vocab.Where(kv => !added.ContainsKey(kv.Key)).OrderBy(kv => kv.Value).ToList();
        var ranks = new List<byte[]>(ordinary.Count);
        foreach (var (text, id) in ordinary)
        {
            if (id != ranks.Count)
                throw Bad($"model.vocab.{text}", $"id {id} where {ranks.Count} was expected (ordinary ids must run 0, 1, 2, …)");
            ranks.Add(ByteLevel.Decode(text)
                      ?? throw Bad($"model.vocab.{text}", "not a byte-level token (a character outside GPT-2's byte table)"));
        }
        if (ranks.Select(Convert.ToBase64String).Distinct().Count() != ranks.Count)
            throw Bad("model.vocab", "two tokens stand for the same bytes");
        var singles = ranks.Where(r => r.Length == 1).Select(r => r[0]).ToHashSet();
        if (singles.Count < 256)
            throw Bad("model.vocab", $"byte 0x{Enumerable.Range(0, 256).First(b => !singles.Contains((byte)b)):X2} has no token " +
                                     "(byte-level BPE needs all 256)");

        var merges = new List<(string, string)>();
        if (model["merges"] is JsonArray mergeArray)
            for (int i = 0; i < mergeArray.Count; i++)
            {
                var m = mergeArray[i];
                var pair = m is JsonArray a && a.Count == 2 ? (a[0]!.GetValue<string>(), a[1]!.GetValue<string>())
                    : m?.GetValue<string>().Split(' ') is [var l, var r] ? (l, r)
                    : throw Bad($"model.merges[{i}]", "expected \"left right\" or [left, right]");
                merges.Add(pair);
            }
        BpeMerges.CheckRankOrder(merges, vocab, path);

        var specials = added.Where(kv => kv.Value >= ranks.Count).ToDictionary(StringComparer.Ordinal);
        foreach (var (text, id) in added)
            if (id < ranks.Count && !vocab.ContainsKey(text))
                throw Bad($"added_tokens.{text}", $"id {id} collides with ordinary token {id}");
        return new BpeTokenizer(ranks, specials, new ChunkSplitter(pattern, ChunkSplitter.DefaultMaxBytes));
    }

    static string PreTokenizerPattern(JsonNode? node, Func<string, string, SharpLmException> bad)
    {
        var steps = node?["type"]?.GetValue<string>() == "Sequence"
            ? (node["pretokenizers"] as JsonArray ?? throw bad("pre_tokenizer.pretokenizers", "missing")).ToList()
            : [node];
        if (steps is [{ } only] && only["type"]?.GetValue<string>() == "ByteLevel")
        {
            CheckByteLevel(only, "pre_tokenizer", bad);
            if (only["use_regex"]?.GetValue<bool>() == false) throw bad("pre_tokenizer.use_regex", "false, and no Split before it");
            return Gpt2Pattern;
        }
        if (steps is not [{ } split, { } byteLevel] || split["type"]?.GetValue<string>() != "Split"
                                                   || byteLevel["type"]?.GetValue<string>() != "ByteLevel")
            throw bad("pre_tokenizer", "expected ByteLevel, or a Sequence of Split (a regex) and ByteLevel");
        CheckByteLevel(byteLevel, "pre_tokenizer.pretokenizers[1]", bad);
        if (byteLevel["use_regex"]?.GetValue<bool>() == true)
            throw bad("pre_tokenizer.pretokenizers[1].use_regex", "true after a Split is not supported");
        if (split["behavior"]?.GetValue<string>() != "Isolated" || split["invert"]?.GetValue<bool>() == true)
            throw bad("pre_tokenizer.pretokenizers[0].behavior", "only Isolated (not inverted) is supported");
        var regex = split["pattern"]?["Regex"]?.GetValue<string>()
                    ?? throw bad("pre_tokenizer.pretokenizers[0].pattern.Regex", "missing (a plain String pattern is not supported)");
        return WithoutPossessives(regex);
    }

    static void CheckByteLevel(JsonNode step, string field, Func<string, string, SharpLmException> bad)
    {
        if (step["add_prefix_space"]?.GetValue<bool>() == true)
            throw bad($"{field}.add_prefix_space", "true is not supported (SharpLM never adds a leading space)");
    }

    /// <summary>Python-style possessive quantifiers (x?+, x++, x*+), which .NET lacks, as the equivalent atomic groups.</summary>
    internal static string WithoutPossessives(string pattern) =>
        Regex.Replace(pattern, @"(\[(?:\\.|[^\]\\])*\]|\\[pP]\{\w+\}|\\.|[^\\()|])([?+*])\+", "(?>$1$2)");
}

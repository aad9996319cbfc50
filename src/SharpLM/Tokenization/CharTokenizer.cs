using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>
/// Character-level tokenizer: one id per Unicode character (text element by code point) seen in training, then the specials.
/// Used for small reproductions such as nanoGPT's Shakespeare "baby GPT" (65 characters).
/// </summary>
public sealed class CharTokenizer : Tokenizer
{
    public const string Kind = "char";

    readonly string[] _chars;                  // id → character (one code point, as a string)
    readonly Dictionary<string, int> _ids;     // character → id
    readonly Dictionary<string, int> _specials;

    public CharTokenizer(IEnumerable<string> characters, IEnumerable<string>? specials = null)
    {
        _chars = characters.Distinct().ToArray();
        if (_chars.Length == 0) throw new SharpLmException("a character tokenizer needs at least one character");
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _chars.Length; i++) _ids[_chars[i]] = i;
        _specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in specials ?? SpecialTokens.All) _specials[s] = _chars.Length + _specials.Count;
    }

    /// <summary>Builds the vocabulary from every code point in <paramref name="texts"/>, sorted by code point.</summary>
    public static CharTokenizer Train(IEnumerable<string> texts)
    {
        var set = new SortedSet<int>();
        foreach (var text in texts)
            foreach (var rune in text.EnumerateRunes()) set.Add(rune.Value);
        if (set.Count == 0) throw new SharpLmException("cannot train a character tokenizer on an empty corpus");
        return new CharTokenizer(set.Select(cp => char.ConvertFromUtf32(cp)));
    }

    public override int VocabSize => _chars.Length + _specials.Count;
    public override IReadOnlyDictionary<string, int> SpecialTokenIds => _specials;

    public override int[] Encode(string text, bool allowSpecial = false)
    {
        var ids = new List<int>(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            if (allowSpecial && text[i] == '<' && TryMatchSpecial(text, i, out var special))
            {
                ids.Add(_specials[special]);
                i += special.Length;
                continue;
            }
            var rune = Rune.GetRuneAt(text, i);
            var s = rune.ToString();
            if (!_ids.TryGetValue(s, out var id))
                throw new SharpLmException(
                    $"character '{s}' (U+{rune.Value:X4}) at position {i} is not in this character-level vocabulary");
            ids.Add(id);
            i += rune.Utf16SequenceLength;
        }
        return ids.ToArray();
    }

    bool TryMatchSpecial(string text, int at, out string special)
    {
        foreach (var s in _specials.Keys)
            if (string.CompareOrdinal(text, at, s, 0, s.Length) == 0) { special = s; return true; }
        special = "";
        return false;
    }

    public override byte[] TokenBytes(int id)
    {
        if ((uint)id < (uint)_chars.Length) return Encoding.UTF8.GetBytes(_chars[id]);
        foreach (var (s, sid) in _specials) if (sid == id) return Encoding.UTF8.GetBytes(s);
        throw new SharpLmException($"token id {id} is outside the vocabulary (size {VocabSize})");
    }

    public override void Save(string dir)
    {
        var json = new JsonObject
        {
            ["kind"] = Kind,
            ["vocab_size"] = VocabSize,
            ["characters"] = new JsonArray(_chars.Select(c => (JsonNode)c).ToArray()),
            ["special_tokens"] = new JsonObject(_specials.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, DescriptorFile),
            json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    internal static CharTokenizer LoadFrom(string dir)
    {
        var path = Path.Combine(dir, DescriptorFile);
        var node = JsonNode.Parse(File.ReadAllText(path)) ?? throw SharpLmException.At(path, null, null, "empty file");
        var chars = node["characters"]?.AsArray().Select(n => n?.GetValue<string>() ?? "").ToArray()
                    ?? throw SharpLmException.At(path, null, "characters", "missing");
        if (chars.Any(c => c.Length == 0 || Rune.GetRuneAt(c, 0).Utf16SequenceLength != c.Length))
            throw SharpLmException.At(path, null, "characters", "each entry must be exactly one character");
        if (chars.Distinct().Count() != chars.Length) throw SharpLmException.At(path, null, "characters", "duplicate character");
        var specials = node["special_tokens"]?.AsObject()
                       ?? throw SharpLmException.At(path, null, "special_tokens", "missing");
        var ordered = specials.OrderBy(kv => kv.Value!.GetValue<int>()).Select(kv => kv.Key).ToList();
        var tok = new CharTokenizer(chars, ordered);
        foreach (var (name, id) in specials)
            if (tok._specials[name] != id!.GetValue<int>())
                throw SharpLmException.At(path, null, $"special_tokens.{name}", $"id {id} does not follow the characters");
        return tok;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"char tokenizer ({VocabSize} ids)");
}

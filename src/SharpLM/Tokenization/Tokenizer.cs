using System.Text;
using System.Text.Json;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>
/// Text ⇄ token ids. Five verbs, as in minbpe: train (see <see cref="BpeTrainer"/>), encode, decode, save, load.
/// Special tokens are never produced from plain text unless <c>allowSpecial</c> is set.
/// </summary>
public abstract class Tokenizer
{
    /// <summary>Name of the descriptor file every tokenizer folder holds.</summary>
    public const string DescriptorFile = "tokenizer.json";

    /// <summary>Number of ids, ordinary tokens and specials together.</summary>
    public abstract int VocabSize { get; }

    /// <summary>Special token text → id.</summary>
    public abstract IReadOnlyDictionary<string, int> SpecialTokenIds { get; }

    public int BosId => SpecialId(SpecialTokens.Bos);

    public int SpecialId(string special) =>
        SpecialTokenIds.TryGetValue(special, out var id)
            ? id
            : throw new SharpLmException($"tokenizer has no special token {special}");

    public bool IsSpecial(int id) => SpecialTokenIds.Values.Contains(id);

    /// <summary>Encodes text. With <paramref name="allowSpecial"/>, special-token text in the input becomes its id.</summary>
    public abstract int[] Encode(string text, bool allowSpecial = false);

    /// <summary>
    /// Encodes many documents in parallel (one document per task, results in input order). Tokenizers are immutable,
    /// so <see cref="Encode"/> is safe from several threads. <paramref name="threads"/>: 0 = all cores.
    /// </summary>
    public int[][] EncodeBatch(IReadOnlyList<string> texts, bool allowSpecial = false, int threads = 0)
    {
        var result = new int[texts.Count][];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads <= 0 ? Environment.ProcessorCount : threads };
        Parallel.For(0, texts.Count, options, i => result[i] = Encode(texts[i], allowSpecial));
        return result;
    }

    /// <summary>The raw bytes one token stands for (UTF-8 of a special token's text). A token may hold part of a character.</summary>
    public abstract byte[] TokenBytes(int id);

    /// <summary>Decodes ids to text; bytes that are not valid UTF-8 become U+FFFD, as tiktoken does.</summary>
    public virtual string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 3);
        foreach (var id in ids) bytes.AddRange(TokenBytes(id));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Writes the tokenizer's files into <paramref name="dir"/> (which must exist).</summary>
    public abstract void Save(string dir);

    /// <summary>Loads a tokenizer folder written by <see cref="Save"/>, or a published encoding name (cl100k_base, o200k_base).</summary>
    public static Tokenizer Load(string dirOrName)
    {
        if (PublishedEncodings.IsKnown(dirOrName) && !Directory.Exists(dirOrName)) return PublishedEncodings.Load(dirOrName);
        var descriptor = Path.Combine(dirOrName, DescriptorFile);
        if (!Directory.Exists(dirOrName))
            throw new SharpLmException($"{dirOrName}: tokenizer folder not found (expected a folder with {DescriptorFile}, or cl100k_base / o200k_base)");
        if (!File.Exists(descriptor)) throw new SharpLmException($"{descriptor}: file not found");
        string kind;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(descriptor));
            kind = doc.RootElement.TryGetProperty("kind", out var k) ? k.GetString() ?? "" : "";
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(descriptor, e.LineNumber + 1, null, $"invalid JSON: {e.Message}");
        }
        return kind switch
        {
            CharTokenizer.Kind => CharTokenizer.LoadFrom(dirOrName),
            BpeTokenizer.Kind => BpeTokenizer.LoadFrom(dirOrName),
            _ => throw SharpLmException.At(descriptor, null, "kind", $"unknown tokenizer kind '{kind}' (expected '{BpeTokenizer.Kind}' or '{CharTokenizer.Kind}')"),
        };
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// A prepared, tokenized corpus: <c>train.bin</c> and <c>val.bin</c> (uint16 ids when the vocabulary fits, else uint32) and
/// <c>index.json</c>. Each document is <c>&lt;|bos|&gt;</c> followed by its tokens. The split is by document (every tenth
/// document goes to validation); a corpus of fewer than ten documents (Tiny Shakespeare is one) instead keeps the last 10%
/// of its token stream for validation, as nanoGPT does.
/// </summary>
public sealed class TokenDataset : IDisposable
{
    public const string IndexFile = "index.json";
    public const string TrainFile = "train.bin";
    public const string ValFile = "val.bin";
    const string Format = "sharplm-tokens/1";

    TokenDataset(string dir, JsonObject index, TokenFile train, TokenFile val)
    {
        Dir = dir;
        Index = index;
        Train = train;
        Val = val;
    }

    public string Dir { get; }
    public JsonObject Index { get; }
    public TokenFile Train { get; }
    public TokenFile Val { get; }
    public int VocabSize => Index["vocab_size"]!.GetValue<int>();
    public string TokenizerSha256 => Index["tokenizer_sha256"]!.GetValue<string>();

    /// <summary>True when <paramref name="dir"/> holds a prepared dataset (index.json).</summary>
    public static bool IsPrepared(string dir) => File.Exists(Path.Combine(dir, IndexFile));

    /// <summary>
    /// Tokenizes <paramref name="inputs"/> (see <see cref="CorpusReader"/>) into <paramref name="outDir"/>, written atomically.
    /// Streams: memory holds one document and the list of document boundaries.
    /// </summary>
    public static void Prepare(IEnumerable<string> inputs, Tokenizer tokenizer, string tokenizerSha256, string outDir,
        IProgress<ProgressUpdate>? progress = null)
    {
        int width = tokenizer.VocabSize <= ushort.MaxValue + 1 ? 2 : 4;
        AtomicFile.WriteDirectory(outDir, tmp =>
        {
            var allPath = Path.Combine(tmp, "all.tmp");
            var starts = new List<long>();
            long total = 0;
            using (var all = new BinaryWriter(File.Create(allPath)))
            {
                foreach (var (source, text) in CorpusReader.ReadDocuments(inputs))
                {
                    starts.Add(total);
                    int[] ids;
                    try { ids = tokenizer.Encode(text); }
                    catch (SharpLmException e) { throw new SharpLmException($"{source}: {e.Message}"); }
                    Write(all, tokenizer.BosId, width);
                    foreach (var id in ids) Write(all, id, width);
                    total += ids.Length + 1;
                    progress?.Report(new ProgressUpdate("tokenize", starts.Count, null, "documents", $"{total:N0} tokens"));
                }
            }
            starts.Add(total);
            int docs = starts.Count - 1;
            var (trainTokens, valTokens, split) = Split(allPath, starts, width, tmp);
            File.Delete(allPath);
            if (trainTokens == 0 || valTokens == 0)
                throw new SharpLmException($"corpus too small to split into training and validation ({total} tokens in {docs} documents)");
            var index = new JsonObject
            {
                ["format"] = Format,
                ["dtype"] = width == 2 ? "uint16" : "uint32",
                ["vocab_size"] = tokenizer.VocabSize,
                ["tokenizer_sha256"] = tokenizerSha256,
                ["documents"] = docs,
                ["split"] = split,
                ["train_tokens"] = trainTokens,
                ["val_tokens"] = valTokens,
                ["sources"] = new JsonArray(inputs.Select(i => (JsonNode)Path.GetFullPath(i)).ToArray()),
            };
            AtomicFile.WriteAllText(Path.Combine(tmp, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        });
    }

    static void Write(BinaryWriter w, int id, int width)
    {
        if (width == 2) w.Write((ushort)id);
        else w.Write((uint)id);
    }

    static (long Train, long Val, string Split) Split(string allPath, List<long> starts, int width, string dir)
    {
        int docs = starts.Count - 1;
        long total = starts[^1];
        using var all = File.OpenRead(allPath);
        using var train = File.Create(Path.Combine(dir, TrainFile));
        using var val = File.Create(Path.Combine(dir, ValFile));
        if (docs < 10)
        {
            long cut = total - total / 10;
            Copy(all, train, cut * width);
            Copy(all, val, (total - cut) * width);
            return (cut, total - cut, "last 10% of the token stream");
        }
        long trainTokens = 0;
        for (int d = 0; d < docs; d++)
        {
            long n = starts[d + 1] - starts[d];
            bool toVal = d % 10 == 9;
            Copy(all, toVal ? val : train, n * width);
            if (!toVal) trainTokens += n;
        }
        return (trainTokens, total - trainTokens, "every tenth document");
    }

    static void Copy(Stream from, Stream to, long bytes)
    {
        var buffer = new byte[1 << 16];
        while (bytes > 0)
        {
            int n = from.Read(buffer, 0, (int)Math.Min(buffer.Length, bytes));
            if (n == 0) throw new EndOfStreamException();
            to.Write(buffer, 0, n);
            bytes -= n;
        }
    }

    /// <summary>Opens a prepared dataset folder, checking its index.</summary>
    public static TokenDataset Open(string dir)
    {
        var indexPath = Path.Combine(dir, IndexFile);
        if (!File.Exists(indexPath)) throw new SharpLmException($"{indexPath}: file not found — {dir} is not a prepared dataset (run `sharplm data prepare`)");
        JsonObject index;
        try { index = JsonNode.Parse(File.ReadAllText(indexPath))?.AsObject() ?? throw SharpLmException.At(indexPath, null, null, "empty index"); }
        catch (JsonException e) { throw SharpLmException.At(indexPath, e.LineNumber + 1, null, $"invalid JSON: {e.Message}"); }
        if (index["format"]?.GetValue<string>() != Format) throw SharpLmException.At(indexPath, null, "format", $"expected {Format}");
        int width = index["dtype"]?.GetValue<string>() switch
        {
            "uint16" => 2,
            "uint32" => 4,
            var other => throw SharpLmException.At(indexPath, null, "dtype", $"expected uint16 or uint32 (got {other})"),
        };
        var train = new TokenFile(Path.Combine(dir, TrainFile), width);
        var val = new TokenFile(Path.Combine(dir, ValFile), width);
        void Check(TokenFile f, string field)
        {
            if (index[field]?.GetValue<long>() != f.Length)
                throw SharpLmException.At(indexPath, null, field, $"says {index[field]} tokens but {f.Path} holds {f.Length}");
        }
        Check(train, "train_tokens");
        Check(val, "val_tokens");
        return new TokenDataset(dir, index, train, val);
    }

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }
}

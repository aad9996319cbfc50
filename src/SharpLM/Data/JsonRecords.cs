using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;

namespace SharpLM.Data;

/// <summary>One JSON object of a record file and the line it starts on, so errors can say file:line.</summary>
public readonly record struct JsonRecord(JsonObject Node, string File, long Line)
{
    public SharpLmException Error(string? field, string message) => SharpLmException.At(File, Line, field, message);
}

/// <summary>
/// Reads record files: a JSON array of objects (.json) or one object per line (.jsonl), optionally gzipped (.gz).
/// A folder stands for the record files inside it, in name order.
/// </summary>
public static class JsonRecords
{
    static readonly string[] Extensions = [".json", ".jsonl", ".json.gz", ".jsonl.gz"];

    public static IEnumerable<JsonRecord> Read(IEnumerable<string> paths) => Read(paths, onBad: null);

    /// <summary>
    /// Parses every record with <paramref name="parse"/>. A malformed record (a line that is not JSON, or one
    /// <paramref name="parse"/> rejects) stops with its error naming file and line, or with <paramref name="skipBad"/> is
    /// skipped and counted. A JSON array with a syntax error is always an error: the records after it cannot be found.
    /// </summary>
    public static RecordSet<T> Parse<T>(IEnumerable<string> paths, Func<JsonRecord, T> parse, bool skipBad)
    {
        var items = new List<T>();
        var reasons = new List<string>();
        int skipped = 0;
        void Skip(SharpLmException e)
        {
            skipped++;
            if (reasons.Count < 5) reasons.Add(e.Message);
        }
        foreach (var record in Read(paths, skipBad ? new Action<SharpLmException>(Skip) : null))
        {
            try { items.Add(parse(record)); }
            catch (SharpLmException e) when (skipBad) { Skip(e); }
        }
        return new RecordSet<T>(items, skipped, reasons);
    }

    static IEnumerable<JsonRecord> Read(IEnumerable<string> paths, Action<SharpLmException>? onBad)
    {
        foreach (var path in Expand(paths))
            foreach (var record in ReadFile(path, onBad)) yield return record;
    }

    /// <summary>Files named by <paramref name="paths"/> (or dataset names, see <see cref="Catalogue.DataCache.ResolveInput"/>), folders expanded to their record files.</summary>
    public static IEnumerable<string> Expand(IEnumerable<string> paths)
    {
        foreach (var path in paths.Select(Catalogue.DataCache.ResolveInput))
        {
            if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path).Where(IsRecordFile).Order(StringComparer.Ordinal).ToList();
                if (files.Count == 0) throw new SharpLmException($"{path}: folder holds no .json, .jsonl or .gz record files");
                foreach (var f in files) yield return f;
            }
            else if (File.Exists(path)) yield return path;
            else throw new SharpLmException($"{path}: file not found");
        }
    }

    static bool IsRecordFile(string path) => Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    static string Text(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true));
        try { return reader.ReadToEnd(); }
        catch (DecoderFallbackException) { throw new SharpLmException($"{path}: not UTF-8 text"); }
        catch (InvalidDataException) { throw new SharpLmException($"{path}: not a valid gzip file"); }
    }

    static IEnumerable<JsonRecord> ReadFile(string path, Action<SharpLmException>? onBad)
    {
        var text = Text(path);
        var first = text.AsSpan().TrimStart();
        if (first.Length == 0) throw new SharpLmException($"{path}: empty file");
        return first[0] == '[' ? ReadArray(path, text) : ReadLines(path, text, onBad);
    }

    /// <summary>One object per line; a bad line throws, or goes to <paramref name="onBad"/> when given.</summary>
    static IEnumerable<JsonRecord> ReadLines(string path, string text, Action<SharpLmException>? onBad)
    {
        long line = 0;
        foreach (var raw in text.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonNode? node;
            SharpLmException? bad = null;
            try { node = JsonNode.Parse(raw); }
            catch (JsonException e)
            {
                node = null;
                bad = SharpLmException.At(path, line, null, $"invalid JSON: {e.Message}");
            }
            if (bad is null && node is not JsonObject) bad = SharpLmException.At(path, line, null, "expected a JSON object per line");
            if (bad is not null)
            {
                if (onBad is null) throw bad;
                onBad(bad);
                continue;
            }
            yield return new JsonRecord((JsonObject)node!, path, line);
        }
    }

    /// <summary>Walks the array with a reader so each element keeps the line it starts on.</summary>
    static IEnumerable<JsonRecord> ReadArray(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var records = new List<JsonRecord>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        long line = 1, counted = 0;
        long LineAt(long offset)
        {
            for (; counted < offset; counted++) if (bytes[counted] == (byte)'\n') line++;
            return line;
        }
        try
        {
            reader.Read(); // the '['
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                long at = LineAt(reader.TokenStartIndex);
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw SharpLmException.At(path, at, null, "expected an array of JSON objects");
                using var doc = JsonDocument.ParseValue(ref reader);
                records.Add(new JsonRecord(JsonObject.Create(doc.RootElement.Clone())!, path, at));
            }
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(path, (e.LineNumber ?? 0) + 1, null, $"invalid JSON: {e.Message}");
        }
        return records;
    }
}

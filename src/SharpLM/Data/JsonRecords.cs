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

    public static IEnumerable<JsonRecord> Read(IEnumerable<string> paths)
    {
        foreach (var path in Expand(paths))
            foreach (var record in ReadFile(path)) yield return record;
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

    static IEnumerable<JsonRecord> ReadFile(string path)
    {
        var text = Text(path);
        var first = text.AsSpan().TrimStart();
        if (first.Length == 0) throw new SharpLmException($"{path}: empty file");
        return first[0] == '[' ? ReadArray(path, text) : ReadLines(path, text);
    }

    static IEnumerable<JsonRecord> ReadLines(string path, string text)
    {
        long line = 0;
        foreach (var raw in text.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(raw); }
            catch (JsonException e) { throw SharpLmException.At(path, line, null, $"invalid JSON: {e.Message}"); }
            if (node is not JsonObject obj) throw SharpLmException.At(path, line, null, "expected a JSON object per line");
            yield return new JsonRecord(obj, path, line);
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

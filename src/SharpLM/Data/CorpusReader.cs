using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SharpLM.Core;

namespace SharpLM.Data;

/// <summary>
/// Streams documents from pretraining inputs: <c>.txt</c> (one document per file), <c>.jsonl</c> (one object per line with a
/// "text" field), <c>.json</c> (an array of strings or of objects with "text"), any of these gzipped (<c>.gz</c>), and folders
/// (their files in name order, recursively). Missing, empty and binary inputs are errors naming the file (and line).
/// </summary>
public static class CorpusReader
{
    static readonly string[] Extensions = [".txt", ".jsonl", ".json"];

    /// <summary>Yields (source, text) per document, lazily, so corpora larger than memory stream through.</summary>
    public static IEnumerable<(string Source, string Text)> ReadDocuments(IEnumerable<string> paths)
    {
        int yielded = 0;
        foreach (var path in paths)
        {
            foreach (var file in Files(path))
                foreach (var doc in ReadFile(file))
                {
                    yielded++;
                    yield return doc;
                }
        }
        if (yielded == 0) throw new SharpLmException("no input documents (give at least one --data file or folder)");
    }

    static IEnumerable<string> Files(string path)
    {
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw new SharpLmException($"{path}: file or folder not found");
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(InnerExtension(f)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new SharpLmException($"{path}: folder holds no .txt, .jsonl or .json files (plain or .gz)");
        return files;
    }

    static string InnerExtension(string file)
    {
        var name = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? file[..^3] : file;
        return Path.GetExtension(name).ToLowerInvariant();
    }

    static IEnumerable<(string, string)> ReadFile(string file)
    {
        var text = ReadText(file);
        if (text.Trim().Length == 0) throw new SharpLmException($"{file}: empty file (no text to train on)");
        switch (InnerExtension(file))
        {
            case ".jsonl":
                return ReadJsonLines(file, text);
            case ".json":
                return ReadJson(file, text);
            default:
                return [(file, text)];
        }
    }

    static string ReadText(string file)
    {
        byte[] bytes;
        if (file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
                using var buffer = new MemoryStream();
                gz.CopyTo(buffer);
                bytes = buffer.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new SharpLmException($"{file}: not a valid gzip file ({e.Message})");
            }
        }
        else bytes = File.ReadAllBytes(file);
        int nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0) throw new SharpLmException($"{file}: looks binary (NUL byte at offset {nul}); expected UTF-8 text");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException e)
        {
            throw new SharpLmException($"{file}: not valid UTF-8 text (bad byte at offset {e.Index}); expected a text corpus");
        }
    }

    static IEnumerable<(string, string)> ReadJsonLines(string file, string text)
    {
        int line = 0;
        foreach (var raw in text.Split('\n'))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            yield return ($"{file}:{line}", TextOf(file, line, raw));
        }
    }

    static IEnumerable<(string, string)> ReadJson(string file, string text)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw SharpLmException.At(file, e.LineNumber + 1, null, $"invalid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object) return [(file, TextField(file, null, root))];
            if (root.ValueKind != JsonValueKind.Array)
                throw SharpLmException.At(file, null, null, "expected an array of documents or an object with a \"text\" field");
            var docs = new List<(string, string)>();
            int i = 0;
            foreach (var item in root.EnumerateArray())
            {
                var value = item.ValueKind == JsonValueKind.String ? item.GetString()! : TextField(file, null, item, $"[{i}]");
                docs.Add(($"{file}[{i}]", value));
                i++;
            }
            return docs;
        }
    }

    static string TextOf(string file, int line, string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return TextField(file, line, doc.RootElement);
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(file, line, null, $"invalid JSON: {e.Message}");
        }
    }

    static string TextField(string file, long? line, JsonElement element, string where = "")
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            throw SharpLmException.At(file, line, $"{where}text".TrimStart('.'), "expected an object with a string \"text\" field");
        return text.GetString()!;
    }
}

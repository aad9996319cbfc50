using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SharpLM.Core;

namespace SharpLM.Data.Catalogue;

/// <summary>
/// Checks a downloaded file without a known hash: not empty, UTF-8, and by its name JSON lines (each a JSON object), one JSON
/// document, or text; .gz is decompressed first. Catches an error page or a truncated file saved under a dataset's name.
/// </summary>
public static class DatasetFormat
{
    /// <param name="file">The file to check.</param>
    /// <param name="fileName">The name whose extension says the format (.jsonl, .json, .txt, .gz).</param>
    /// <param name="name">How errors name it.</param>
    public static void Check(string file, string fileName, string name)
    {
        bool gzip = fileName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        var path = gzip ? fileName[..^3] : fileName;
        string text;
        try
        {
            using var stream = File.OpenRead(file);
            using Stream data = gzip ? new GZipStream(stream, CompressionMode.Decompress) : stream;
            using var reader = new StreamReader(data, new UTF8Encoding(false, throwOnInvalidBytes: true));
            text = reader.ReadToEnd();
        }
        catch (Exception e) when (e is DecoderFallbackException or InvalidDataException)
        {
            throw new SharpLmException($"{name}: the download is not {(gzip ? "gzip of " : "")}UTF-8 text");
        }
        if (text.Trim().Length == 0) throw new SharpLmException($"{name}: the download is empty");
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            long line = 0;
            foreach (var raw in text.Split('\n'))
            {
                line++;
                if (raw.Trim().Length == 0) continue;
                try
                {
                    using var doc = JsonDocument.Parse(raw);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object) throw SharpLmException.At(name, line, null, "the download is not JSON lines");
                }
                catch (JsonException) { throw SharpLmException.At(name, line, null, "the download is not JSON lines (a truncated or wrong file)"); }
            }
        }
        else if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            try { using var _ = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new SharpLmException($"{name}: the download is not valid JSON ({e.Message})"); }
        }
        else if (text.TrimStart().StartsWith("<!DOCTYPE html", StringComparison.OrdinalIgnoreCase) || text.TrimStart().StartsWith("<html", StringComparison.OrdinalIgnoreCase))
            throw new SharpLmException($"{name}: the download is an HTML page, not the dataset");
    }
}

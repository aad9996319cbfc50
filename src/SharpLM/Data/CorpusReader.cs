using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SharpLM.Core;

namespace SharpLM.Data;

/// <summary>One document of a corpus: where it came from (file, first line) and its text.</summary>
public sealed record CorpusDocument(string Source, long Line, string Text);

/// <summary>
/// Streams documents from .txt, .jsonl (a "text" field per line), .json (an array of strings or of objects with "text"),
/// their .gz forms, and folders of them. Nothing holds a whole file, so corpora larger than memory work.
/// In a .txt file a document is a paragraph together with the blank lines that follow it, so the documents of a file
/// concatenate back to the file exactly (line endings included).
/// </summary>
public static class CorpusReader
{
    public static readonly IReadOnlyList<string> Extensions = [".txt", ".jsonl", ".json", ".txt.gz", ".jsonl.gz", ".json.gz"];

    static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Lists the corpus files: files as given (or dataset names), folders searched recursively in ordinal order (for determinism).</summary>
    public static IReadOnlyList<string> ExpandInputs(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths.Select(Catalogue.DataCache.ResolveInput))
        {
            if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(IsSupported).Order(StringComparer.Ordinal));
            else if (File.Exists(path))
                files.Add(IsSupported(path)
                    ? path
                    : throw new SharpLmException($"{path}: unsupported corpus file (expected {string.Join(", ", Extensions)})"));
            else throw new SharpLmException($"{path}: file or folder not found");
        }
        return files;
    }

    public static bool IsSupported(string path) => Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>On-disk size of the files, the unit of read progress.</summary>
    public static long TotalBytes(IEnumerable<string> files) => files.Sum(f => new FileInfo(f).Length);

    /// <summary>
    /// Streams the documents of <paramref name="paths"/> (files or folders). Reports on-disk bytes read to
    /// <paramref name="progress"/>. Malformed input throws <see cref="SharpLmException"/> naming the file and line.
    /// </summary>
    public static IEnumerable<CorpusDocument> ReadDocuments(IEnumerable<string> paths, IProgress<ProgressUpdate>? progress = null)
    {
        var files = ExpandInputs(paths);
        var total = TotalBytes(files);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long doneBefore = 0, lastReport = 0;
        foreach (var file in files)
        {
            var raw = File.OpenRead(file);
            void Report(long position, bool last = false)
            {
                var done = doneBefore + position;
                if (progress is null || done - lastReport < (1 << 20) && !last) return;
                lastReport = done;
                var rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-6) / 1e6;
                progress.Report(new ProgressUpdate("read corpus", done, total, "bytes", $"{rate:F1} MB/s {Path.GetFileName(file)}"));
            }
            Stream stream = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(raw, CompressionMode.Decompress)
                : raw;
            using (stream)
            {
                var docs = Kind(file) switch
                {
                    ".jsonl" => ReadJsonLines(file, stream),
                    ".json" => ReadJsonArray(file, stream),
                    _ => ReadParagraphs(file, stream),
                };
                bool any = false;
                foreach (var doc in docs)
                {
                    any |= !string.IsNullOrWhiteSpace(doc.Text);
                    yield return doc;
                    Report(raw.Position);
                }
                if (!any) throw new SharpLmException($"{file}: empty (no text to read)");
            }
            Report(new FileInfo(file).Length, last: true);
            doneBefore += new FileInfo(file).Length;
        }
    }

    /// <summary>The whole text of one file (gzip undone), with the same UTF-8 and binary checks as <see cref="ReadDocuments"/>.</summary>
    public static string ReadText(string file)
    {
        if (!File.Exists(file)) throw new SharpLmException($"{file}: file not found");
        using var raw = File.OpenRead(file);
        using Stream stream = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(raw, CompressionMode.Decompress)
            : raw;
        var text = new StringBuilder();
        foreach (var (_, line) in Utf8Lines.Read(file, stream)) text.Append(line);
        return text.ToString();
    }

    static string Kind(string file)
    {
        var name = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? file[..^3] : file;
        return Path.GetExtension(name).ToLowerInvariant();
    }

    static IEnumerable<CorpusDocument> ReadParagraphs(string file, Stream stream)
    {
        var text = new StringBuilder();
        long firstLine = 1;
        bool inBlankRun = false;
        foreach (var (number, line) in Utf8Lines.Read(file, stream))
        {
            bool blank = string.IsNullOrWhiteSpace(line);
            if (!blank && inBlankRun)
            {
                yield return new CorpusDocument(file, firstLine, text.ToString());
                text.Clear();
                firstLine = number;
            }
            inBlankRun = blank && text.Length > 0;
            text.Append(line);
        }
        if (text.Length > 0) yield return new CorpusDocument(file, firstLine, text.ToString());
    }

    static IEnumerable<CorpusDocument> ReadJsonLines(string file, Stream stream)
    {
        foreach (var (number, line) in Utf8Lines.Read(file, stream))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument json;
            try { json = JsonDocument.Parse(line); }
            catch (JsonException e) { throw SharpLmException.At(file, number, null, $"invalid JSON: {e.Message}"); }
            using (json)
                yield return new CorpusDocument(file, number, TextOf(json.RootElement, file, number));
        }
    }

    static IEnumerable<CorpusDocument> ReadJsonArray(string file, Stream stream)
    {
        var items = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream).ToBlockingEnumerable();
        using var e = items.GetEnumerator();
        long index = 0;
        while (true)
        {
            try
            {
                if (!e.MoveNext()) yield break;
            }
            catch (JsonException ex)
            {
                throw SharpLmException.At(file, ex.LineNumber is { } l ? l + 1 : null, null,
                    $"invalid JSON (expected an array of strings or of objects with \"text\"): {ex.Message}");
            }
            index++;
            yield return new CorpusDocument(file, index, TextOf(e.Current, file, null, index));
        }
    }

    static string TextOf(JsonElement element, string file, long? line, long? item = null)
    {
        var where = item is null ? null : $"item {item}";
        if (element.ValueKind == JsonValueKind.String) return element.GetString()!;
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("text", out var text)
            && text.ValueKind == JsonValueKind.String)
            return text.GetString()!;
        throw SharpLmException.At(file, line, where, "expected a string or an object with a string \"text\" field");
    }

    /// <summary>Splits a byte stream into lines (keeping "\n"), validating UTF-8 so errors can name the byte offset.</summary>
    static class Utf8Lines
    {
        public static IEnumerable<(long Number, string Line)> Read(string file, Stream stream)
        {
            var buffer = new byte[1 << 16];
            int filled = 0;
            long number = 1, offset = 0; // offset: file (or decompressed) position of buffer[0]
            bool first = true;
            while (true)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer
                int read;
                try { read = stream.Read(buffer, filled, buffer.Length - filled); }
                catch (InvalidDataException e) { throw new SharpLmException($"{file}: not a valid gzip file ({e.Message})"); }
                filled += read;
                int start = 0;
                if (first && filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF) start = 3; // BOM
                if (filled >= 3 || read == 0) first = false;
                while (true)
                {
                    int nl = Array.IndexOf(buffer, (byte)'\n', start, filled - start);
                    if (nl < 0 && read > 0) break;
                    int end = nl < 0 ? filled : nl + 1;
                    if (end == start) break;
                    yield return (number, Decode(file, buffer.AsSpan(start, end - start), number, offset + start));
                    number++;
                    start = end;
                    if (nl < 0) break;
                }
                if (read == 0) yield break;
                Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                offset += start;
                filled -= start;
            }
        }

        static string Decode(string file, ReadOnlySpan<byte> bytes, long line, long offset)
        {
            int nul = bytes.IndexOf((byte)0);
            if (nul >= 0)
                throw SharpLmException.At(file, line, null, $"looks binary (NUL byte at offset {offset + nul}); expected UTF-8 text");
            if (System.Text.Unicode.Utf8.IsValid(bytes)) return StrictUtf8.GetString(bytes);
            var chars = new char[bytes.Length];
            System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out int good, out _, replaceInvalidSequences: false);
            var where = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? "of the decompressed data " : "";
            throw SharpLmException.At(file, line, null, $"invalid UTF-8 at byte offset {offset + good} {where}(0x{bytes[good]:X2})");
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using SharpLM.Core;

namespace SharpLM.Data.Catalogue;

/// <summary>Options of <c>sharplm data download</c>.</summary>
/// <param name="Names">Dataset names (see <see cref="DatasetCatalogue.All"/>); "all" takes every one.</param>
/// <param name="Dir">The cache folder; null: <see cref="DataCache.Default"/>.</param>
/// <param name="Catalogue">The entries to choose from; null: <see cref="DatasetCatalogue.All"/> (tests serve their own).</param>
public sealed record DownloadOptions(IReadOnlyList<string> Names, string? Dir = null, IReadOnlyList<DatasetEntry>? Catalogue = null);

/// <summary>What became of one dataset: downloaded now (verified by hash, or by size and format), or found already present.</summary>
public sealed record DownloadResult(string Name, string Path, long Bytes, bool Downloaded, bool HashVerified);

/// <summary>
/// Downloads catalogue files into the cache: into NAME.part, resuming a partial one with an HTTP Range request, then
/// verified (SHA-256 where known, else size and format) and renamed into place, so the final name never holds a half or
/// unverified file. A bad download is deleted with an error saying what was wrong.
/// </summary>
public sealed class DatasetDownloader(HttpClient http)
{
    public const string PartSuffix = ".part";

    public async Task<List<DownloadResult>> RunAsync(DownloadOptions o, IProgress<ProgressUpdate>? progress = null, CancellationToken ct = default)
    {
        var catalogue = o.Catalogue ?? DatasetCatalogue.All;
        if (o.Names.Count == 0) throw new SharpLmException("name at least one dataset (or all); --list shows them");
        var entries = o.Names.Any(n => n == "all") ? catalogue.ToList() : o.Names.Select(n => DatasetCatalogue.Find(n, catalogue)).ToList();
        var dir = o.Dir ?? DataCache.Default();
        var results = new List<DownloadResult>();
        foreach (var entry in entries) results.Add(await DownloadAsync(entry, dir, progress, ct));
        return results;
    }

    public async Task<DownloadResult> DownloadAsync(DatasetEntry entry, string dir, IProgress<ProgressUpdate>? progress = null, CancellationToken ct = default)
    {
        var target = Path.Combine(dir, entry.Path);
        // Present already: under the final name only a verified file can be (see below), or as an equivalent copy.
        foreach (var existing in entry.Paths.Select(p => Path.Combine(dir, p)).Where(File.Exists))
            return new DownloadResult(entry.Name, existing, new FileInfo(existing).Length, false, false);
        var part = target + PartSuffix;
        await FetchAsync(entry, part, progress, ct);
        try { Verify(entry, part); }
        catch (SharpLmException)
        {
            File.Delete(part);
            throw;
        }
        File.Move(part, target, overwrite: true);
        return new DownloadResult(entry.Name, target, new FileInfo(target).Length, true, entry.Sha256 is not null);
    }

    /// <summary>Appends the rest of the file to <paramref name="part"/> (all of it when the server ignores the Range).</summary>
    async Task FetchAsync(DatasetEntry entry, string part, IProgress<ProgressUpdate>? progress, CancellationToken ct)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, entry.Url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e) { throw new SharpLmException($"{entry.Name}: cannot reach {entry.Url}: {e.Message}"); }
        using var _ = response;
        if (have > 0 && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) return; // the part is already whole
        if (!response.IsSuccessStatusCode)
            throw new SharpLmException($"{entry.Name}: {entry.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        bool resumed = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        if (!resumed) have = 0; // the server sent the whole file: start over
        long? total = response.Content.Headers.ContentLength is { } length ? length + have : entry.Size;
        Directory.CreateDirectory(Path.GetDirectoryName(part)!); // only now: a refused download leaves no folder behind
        using (var output = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write))
        {
            try
            {
                await using var input = await response.Content.ReadAsStreamAsync(ct);
                var buffer = new byte[1 << 16];
                long done = have;
                int n;
                while ((n = await input.ReadAsync(buffer, ct)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), ct);
                    done += n;
                    progress?.Report(new ProgressUpdate(entry.Name, done, total, "bytes", $"{done / 1048576.0:F1} MiB"));
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                await output.FlushAsync(ct);
                throw new SharpLmException($"{entry.Name}: the download broke off after {output.Length:N0} bytes ({e.Message}); " +
                    "run the same command again to resume it");
            }
        }
        if (total is { } expected && new FileInfo(part).Length < expected)
            throw new SharpLmException($"{entry.Name}: the download ended after {new FileInfo(part).Length:N0} of {expected:N0} bytes; " +
                "run the same command again to resume it");
    }

    /// <summary>SHA-256 where the catalogue knows it, else the size (when known) and the format.</summary>
    public static void Verify(DatasetEntry entry, string file)
    {
        var name = $"{entry.Name} ({Path.GetFileName(entry.Path)})";
        if (entry.Sha256 is { } expected)
        {
            using var stream = File.OpenRead(file);
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (actual != expected)
                throw new SharpLmException($"{name}: SHA-256 mismatch: expected {expected}, got {actual}; the file was not kept");
            return;
        }
        if (entry.Size is { } size && new FileInfo(file).Length != size)
            throw new SharpLmException($"{name}: expected {size:N0} bytes, got {new FileInfo(file).Length:N0}; the file was not kept");
        DatasetFormat.Check(file, entry.Path, name);
    }
}

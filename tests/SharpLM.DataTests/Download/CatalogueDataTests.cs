using System.IO.Compression;
using System.Security.Cryptography;
using SharpLM.Data.Catalogue;

namespace SharpLM.DataTests.Download;

/// <summary>The catalogue's hashes agree with the shared copies, and the shared folder serves as a download cache.</summary>
public sealed class CatalogueDataTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [DataFact]
    public void Every_hash_matches_the_shared_copy_verbatim_or_decompressed()
    {
        int checkedFiles = 0;
        foreach (var entry in DatasetCatalogue.All.Where(e => e.Sha256 is not null))
        {
            var copy = entry.Paths.Select(p => SharedData.Path(p)).FirstOrDefault(File.Exists);
            if (copy is null) continue;
            using var file = File.OpenRead(copy);
            using Stream bytes = copy.EndsWith(".gz", StringComparison.Ordinal) && !entry.Path.EndsWith(".gz", StringComparison.Ordinal)
                ? new GZipStream(file, CompressionMode.Decompress)
                : file;
            Assert.True(Convert.ToHexStringLower(SHA256.HashData(bytes)) == entry.Sha256, $"{entry.Name}: {copy}");
            checkedFiles++;
        }
        Assert.Equal(DatasetCatalogue.All.Count(e => e.Sha256 is not null), checkedFiles);
    }

    /// <summary>Fails every request: the test proves nothing is fetched (and never touches the network).</summary>
    sealed class NoNetwork : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            throw new InvalidOperationException($"unexpected request to {request.RequestUri}");
    }

    [DataFact]
    public async Task The_shared_folder_works_as_the_cache()
    {
        var present = DatasetCatalogue.All.Where(e => e.Paths.Any(p => File.Exists(SharedData.Path(p)))).Select(e => e.Name).ToList();
        Assert.True(present.Count >= DatasetCatalogue.All.Count - 1, string.Join(", ", present)); // all but Dolly-15k ship there
        using var http = new HttpClient(new NoNetwork());
        var results = await new DatasetDownloader(http).RunAsync(new DownloadOptions(present, SharedData.Path()));
        Assert.All(results, r => Assert.False(r.Downloaded));
    }
}

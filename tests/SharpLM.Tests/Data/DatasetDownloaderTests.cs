using System.Security.Cryptography;
using System.Text;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Data.Catalogue;
using SharpLM.Tests.Cli;

namespace SharpLM.Tests.Data;

/// <summary><c>data download</c> against a loopback server: verified, resumable, atomic; bad downloads leave nothing behind.</summary>
public sealed class DatasetDownloaderTests : IDisposable
{
    readonly TempDir _tmp = new();
    readonly FixtureServer _server = new();
    readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _tmp.Dispose();
    }

    static readonly byte[] Records = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 2000)
        .Select(i => $"{{\"question\": \"What is {i} + 1?\", \"answer\": \"#### {i + 1}\"}}\n")));

    static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    DatasetEntry Entry(string name, string url, string? sha, string path = "eval/en/task.jsonl") =>
        new(name, path, url, sha, sha is null ? null : Records.Length, "test", "test");

    Task<List<DownloadResult>> Download(params DatasetEntry[] entries) =>
        new DatasetDownloader(_http).RunAsync(new DownloadOptions(entries.Select(e => e.Name).ToList(), _tmp.Path, entries));

    string Target(DatasetEntry e) => Path.Combine(_tmp.Path, e.Path);

    [Fact]
    public async Task A_download_is_verified_and_renamed_into_place_and_a_second_run_finds_it()
    {
        var entry = Entry("good", _server.Serve("good.jsonl", Records), Sha(Records));
        var result = Assert.Single(await Download(entry));
        Assert.Equal((true, true, Records.Length), (result.Downloaded, result.HashVerified, (int)result.Bytes));
        Assert.Equal(Records, File.ReadAllBytes(Target(entry)));
        Assert.False(File.Exists(Target(entry) + DatasetDownloader.PartSuffix));
        int requests = _server.Ranges.Count;
        Assert.False(Assert.Single(await Download(entry)).Downloaded);
        Assert.Equal(requests, _server.Ranges.Count); // nothing fetched again
    }

    [Fact]
    public async Task A_corrupted_file_is_a_clear_error_and_leaves_no_file()
    {
        var corrupt = (byte[])Records.Clone();
        corrupt[100] ^= 1;
        var entry = Entry("corrupt", _server.Serve("corrupt.jsonl", corrupt), Sha(Records));
        var e = await Assert.ThrowsAsync<SharpLmException>(() => Download(entry));
        Assert.Equal($"corrupt (task.jsonl): SHA-256 mismatch: expected {Sha(Records)}, got {Sha(corrupt)}; the file was not kept", e.Message);
        Assert.Empty(Directory.EnumerateFiles(_tmp.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_interrupted_transfer_keeps_its_part_and_resumes_with_a_range_request()
    {
        var entry = Entry("flaky", _server.Serve("flaky.jsonl", Records, breakOffOnce: true), Sha(Records));
        var e = await Assert.ThrowsAsync<SharpLmException>(() => Download(entry));
        Assert.Contains("run the same command again to resume it", e.Message);
        Assert.False(File.Exists(Target(entry)));
        long part = new FileInfo(Target(entry) + DatasetDownloader.PartSuffix).Length;
        Assert.InRange(part, 1, Records.Length - 1);

        Assert.True(Assert.Single(await Download(entry)).HashVerified);
        Assert.Equal($"bytes={part}-", _server.Ranges[^1]);
        Assert.Equal(Records, File.ReadAllBytes(Target(entry)));
        Assert.False(File.Exists(Target(entry) + DatasetDownloader.PartSuffix));
    }

    [Fact]
    public async Task A_missing_file_is_a_clear_error_and_leaves_no_file()
    {
        var entry = Entry("gone", _server.BaseUrl + "nothing-here.jsonl", Sha(Records));
        var e = await Assert.ThrowsAsync<SharpLmException>(() => Download(entry));
        Assert.Equal($"gone: {entry.Url} answered 404 Not Found", e.Message);
        Assert.Empty(Directory.EnumerateFiles(_tmp.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Without_a_known_hash_the_format_is_checked()
    {
        var html = Entry("page", _server.Serve("page.jsonl", Encoding.UTF8.GetBytes("<!DOCTYPE html><html>rate limited</html>")), null);
        var e = await Assert.ThrowsAsync<SharpLmException>(() => Download(html));
        Assert.Equal("page (task.jsonl):1: the download is not JSON lines (a truncated or wrong file)", e.Message);
        Assert.Empty(Directory.EnumerateFiles(_tmp.Path, "*", SearchOption.AllDirectories));

        var plain = Entry("plain", _server.Serve("plain.jsonl", Records), null, "sft/en/plain.jsonl");
        var result = Assert.Single(await Download(plain));
        Assert.Equal((true, false), (result.Downloaded, result.HashVerified));
    }

    [Fact]
    public async Task Unknown_names_and_archives_the_verbs_cannot_read_are_named()
    {
        var options = (string name) => new DownloadOptions([name], _tmp.Path);
        var unknown = await Assert.ThrowsAsync<SharpLmException>(() => new DatasetDownloader(_http).RunAsync(options("nosuch")));
        Assert.StartsWith("nosuch: not a known dataset (tinyshakespeare, ", unknown.Message);
        var mmlu = await Assert.ThrowsAsync<SharpLmException>(() => new DatasetDownloader(_http).RunAsync(options("mmlu")));
        Assert.StartsWith("mmlu: cannot be downloaded: MMLU is published as CSV archives", mmlu.Message);
    }

    [Fact]
    public void Every_catalogue_entry_has_a_pinned_https_url_and_a_well_formed_hash_or_says_it_has_none()
    {
        Assert.Equal(DatasetCatalogue.All.Count, DatasetCatalogue.All.Select(e => e.Name).Distinct().Count());
        foreach (var e in DatasetCatalogue.All)
        {
            Assert.StartsWith("https://", e.Url);
            if (e.Sha256 is { } sha) Assert.Matches("^[0-9a-f]{64}$", sha);
            else Assert.StartsWith("unverified", e.Note);
        }
        // Every eval task name that is downloadable lands where eval --task looks.
        foreach (var (task, path) in SharpLM.Evaluation.EvalTaskReader.Known)
            if (DatasetCatalogue.TryFind(task) is { } entry) Assert.Contains(path, entry.Paths);
    }

    [Fact]
    public void Verbs_read_a_downloaded_dataset_by_name_from_the_cache()
    {
        var previous = Environment.GetEnvironmentVariable(DataCache.Variable);
        Environment.SetEnvironmentVariable(DataCache.Variable, _tmp.Path);
        try
        {
            var e = Assert.Throws<SharpLmException>(() => ConversationReader.Read("dolly"));
            Assert.Equal($"dolly: not downloaded yet; run `sharplm data download dolly` (cache: {_tmp.Path}; set SHARPLM_DATA to use another)", e.Message);
            var target = Path.Combine(_tmp.Path, DatasetCatalogue.Find("dolly").Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Fixture.Path("sft/dolly.jsonl"), target);
            Assert.Equal(2, ConversationReader.Read("dolly").Conversations.Count);
            Assert.Equal(2, PromptReader.Read(["dolly"]).Count);
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataCache.Variable, previous);
        }
    }

    [Fact]
    public void Cli_lists_the_catalogue_and_names_a_bad_dataset_in_one_line()
    {
        var (code, output, _) = CliRun.Run("data", "download", "--list", "--dir", _tmp.Path);
        Assert.Equal(0, code);
        Assert.Contains("tinyshakespeare", output);
        Assert.Contains("unverified", output);
        var (bad, _, error) = CliRun.Run("data", "download", "nosuch", "--dir", _tmp.Path);
        Assert.Equal(1, bad);
        Assert.StartsWith("error: nosuch: not a known dataset", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}

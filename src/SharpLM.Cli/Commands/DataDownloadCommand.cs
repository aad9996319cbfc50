using System.CommandLine;
using System.Globalization;
using SharpLM.Data.Catalogue;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm data download NAME… | --list</c>: public datasets into the cache the verbs read by name.</summary>
public static class DataDownloadCommand
{
    public static Command Build()
    {
        var names = new Argument<string[]>("names") { Description = "dataset names (see --list), or all", Arity = ArgumentArity.ZeroOrMore };
        var list = new Option<bool>("--list") { Description = "list the datasets, their sources and whether they are in the cache" };
        var dir = new Option<string?>("--dir") { Description = $"cache folder (default ${DataCache.Variable}, else ~/.cache/sharplm/data)" };
        var command = new Command("download", "Download public datasets (SHA-256 verified, resumable) into the cache that eval --task and the other verbs read")
        {
            names, list, dir,
        };
        CliRunner.SetHandler(command, parse =>
        {
            if (parse.GetValue(list))
            {
                List(parse.GetValue(dir));
                return 0;
            }
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var options = new DownloadOptions(parse.GetValue(names) ?? [], parse.GetValue(dir));
            var results = ProgressDisplay.Run("download", progress =>
                new DatasetDownloader(http).RunAsync(options, progress).GetAwaiter().GetResult());
            foreach (var r in results)
            {
                var how = r.Downloaded ? r.HashVerified ? "downloaded, SHA-256 verified" : "downloaded, size and format checked (no known hash)" : "already present";
                AnsiConsole.Console.WriteLine($"{r.Name}: {how}: {r.Path} ({r.Bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes)");
            }
            return 0;
        });
        return command;
    }

    /// <summary>One aligned line per dataset (readable in a terminal and in a pipe alike).</summary>
    static void List(string? dir)
    {
        var rows = DatasetCatalogue.All.Select(e =>
        {
            var found = dir is null ? DataCache.Find(e.Paths) : e.Paths.Select(p => Path.Combine(dir, p)).FirstOrDefault(File.Exists);
            return new[]
            {
                e.Name, e.Path, e.Size?.ToString("N0", CultureInfo.InvariantCulture) ?? "?", e.Sha256 is null ? "unverified" : e.Sha256[..12],
                e.Licence, found is null ? "-" : "present: " + found,
            };
        }).Prepend(["name", "file", "bytes", "sha-256", "licence", "in cache"]).ToList();
        var widths = Enumerable.Range(0, 5).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows) Console.Out.WriteLine(string.Join("  ", r.Select((c, i) => i < 5 ? c.PadRight(widths[i]) : c)));
        Console.Out.WriteLine($"cache: {dir ?? DataCache.Default()}");
        foreach (var (name, why) in DatasetCatalogue.NotDownloadable) Console.Out.WriteLine($"{name}: not downloadable: {why}");
    }
}

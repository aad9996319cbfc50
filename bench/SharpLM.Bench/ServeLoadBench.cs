using System.Diagnostics;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;

namespace SharpLM.Bench;

/// <summary>
/// Load on <c>sharplm serve</c> over loopback: N concurrent clients, each streaming chat completions one after another, at
/// 1, 4, 16 and 64 clients, then <c>--rounds</c> more rounds of 16 and 64 (does memory plateau or keep growing?); reports
/// errors, time to first token (p50/p99), aggregate tokens/s, the server's decode-step time per token, and the server's
/// memory. The server runs in its own process (the built CLI, <c>sharplm serve</c>), so its memory is its own: the bench
/// samples its <c>/metrics</c> every second (resident set, .NET GC heap, native malloc heap in use / free / mmapped) into
/// serve-memory.csv and serve-memory.png in <c>--out</c>. Without --model it serves the reference model (vocabulary 4,096,
/// context 256, depth 4, width 256, 4 heads) with random weights.
/// Args: [--model DIR] [--seconds 60] [--short-seconds 20] [--rounds 0] [--parallel 32] [--max-tokens 32] [--threads 0]
/// [--precision auto] [--server PATH/SharpLM.Cli.dll] [--out DIR] [--env NAME=VALUE (for the server process; repeatable)].
/// </summary>
public sealed class ServeLoadBench : IBenchmark
{
    public string Name => "serve-load";
    public string Description => "streaming clients against a sharplm serve process: errors, TTFT p50/p99, tokens/s at 1/4/16/64, memory";

    public int Run(string[] args)
    {
        var settings = new LoadSettings(
            Seconds: int.Parse(Machine.Arg(args, "--seconds", "60")),
            ShortSeconds: int.Parse(Machine.Arg(args, "--short-seconds", "20")),
            Rounds: int.Parse(Machine.Arg(args, "--rounds", "0")),
            Parallel: int.Parse(Machine.Arg(args, "--parallel", "32")),
            MaxTokens: int.Parse(Machine.Arg(args, "--max-tokens", "32")),
            Threads: int.Parse(Machine.Arg(args, "--threads", "0")),
            Precision: Machine.Arg(args, "--precision", "auto"));
        using var tmp = new TempFolder();
        var model = Machine.Arg(args, "--model", "");
        if (model.Length == 0) model = ReferenceModel(tmp.Path);
        var cli = Machine.Arg(args, "--server", "");
        if (cli.Length == 0) cli = BuiltCli();
        var outDir = Directory.CreateDirectory(Machine.Arg(args, "--out", Path.Combine("out", "serve-load"))).FullName;
        var env = args.Select((a, i) => (a, i)).Where(p => p.a == "--env" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToList();
        using var server = ServerProcess.Start(cli, model, tmp.Path, settings, env);
        return RunAsync(server, model, settings, outDir).GetAwaiter().GetResult();
    }

    sealed record LoadSettings(int Seconds, int ShortSeconds, int Rounds, int Parallel, int MaxTokens, int Threads, string Precision);

    /// <summary>The CLI as `dotnet build -c Release` leaves it, found from the bench's own folder upwards.</summary>
    static string BuiltCli()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "SharpLM.Cli", "bin", "Release", "net10.0", "SharpLM.Cli.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new SharpLmException("serve-load: build the CLI first (dotnet build src/SharpLM.Cli -c Release) or pass --server");
    }

    static string ReferenceModel(string dir)
    {
        var tokenizer = InferenceBench.Vocabulary(4096);
        torch.manual_seed(1);
        using var gpt = new Gpt(new GptConfig(VocabSize: 4096, ContextLength: 256, Depth: 4, Width: 256, Heads: 4, KvHeads: 4));
        var path = Path.Combine(dir, "reference");
        Checkpoint.Save(path, gpt, tokenizer, "sft", new ChatTemplate(tokenizer).Save);
        return path;
    }

    /// <summary>`sharplm serve` in a child process on a free loopback port; stopped with SIGTERM (Ctrl+C's path) on dispose.</summary>
    sealed class ServerProcess : IDisposable
    {
        readonly Process _process;

        ServerProcess(Process process, Uri url) => (_process, Url) = (process, url);

        public Uri Url { get; }
        public int Id => _process.Id;

        public static ServerProcess Start(string cli, string model, string tmp, LoadSettings s, List<string> env)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { cli, "serve", "--model", model, "--port", "0", "--parallel", $"{s.Parallel}", "--queue", "64",
                                      "--feedback", Path.Combine(tmp, "feedback.jsonl"), "--threads", $"{s.Threads}",
                                      "--precision", s.Precision })
                info.ArgumentList.Add(a);
            foreach (var pair in env)
            {
                int eq = pair.IndexOf('=');
                if (eq <= 0) throw new SharpLmException($"--env wants NAME=VALUE (got {pair})");
                info.Environment[pair[..eq]] = pair[(eq + 1)..];
            }
            var process = Process.Start(info) ?? throw new SharpLmException("cannot start dotnet");
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"    server: {e.Data}"); };
            process.BeginErrorReadLine();
            while (process.StandardOutput.ReadLine() is { } line)
            {
                var m = System.Text.RegularExpressions.Regex.Match(line, @" at (http://\S+/) ");
                if (m.Success)
                {
                    _ = process.StandardOutput.ReadToEndAsync();
                    return new ServerProcess(process, new Uri(m.Groups[1].Value));
                }
            }
            throw new SharpLmException("serve-load: the server process ended before it printed its URL");
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", $"{_process.Id}"])) kill.WaitForExit();
                if (!_process.WaitForExit(15_000)) _process.Kill();
            }
            _process.Dispose();
        }
    }

    sealed record Phase(string Name, int Clients, int Requests, int Errors, long Tokens, double Seconds, double[] Ttft)
    {
        public double TokensPerSecond => Tokens / Seconds;
    }

    /// <summary>One /metrics reading of the server: memory in MB, and the decode-step and token counters.</summary>
    sealed record Sample(double Seconds, string Phase, double Rss, double GcHeap, double GcCommitted, double NativeInUse,
                         double NativeFree, double NativeMapped, double StepSeconds, double Steps, double Tokens);

    static async Task<int> RunAsync(ServerProcess server, string model, LoadSettings s, string outDir)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, ResponseDrainTimeout = TimeSpan.Zero })
            { Timeout = TimeSpan.FromMinutes(5) };
        Console.WriteLine($"serve-load: {model}, server pid {server.Id} at {server.Url}, --parallel {s.Parallel}, " +
                          $"max_tokens {s.MaxTokens}, --threads {s.Threads}; load average {Machine.LoadAverage()}");
        // 16-character prompts from the reference vocabulary (CJK ideographs from U+4E00).
        var random = new Random(1);
        var prompts = Enumerable.Range(0, 8)
            .Select(_ => string.Concat(Enumerable.Range(0, 16).Select(_ => char.ConvertFromUtf32(0x4E00 + random.Next(4000))))).ToArray();

        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        string phaseName = "start";
        using var stopSampling = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                var sample = await Read(http, server.Url, clock.Elapsed.TotalSeconds, phaseName);
                lock (samples) samples.Add(sample);
                try { await Task.Delay(1000, stopSampling.Token); } catch (OperationCanceledException) { }
            }
        });

        var plan = new List<(string Name, int Clients, int Seconds)> { ("warm-up", 4, 5) };
        plan.AddRange(new[] { 1, 4, 16, 64 }.Select(c => ($"{c}", c, c == 64 ? s.Seconds : s.ShortSeconds)));
        for (int r = 1; r <= s.Rounds; r++) plan.AddRange([($"16 (round {r})", 16, s.ShortSeconds), ($"64 (round {r})", 64, s.ShortSeconds)]);
        var phases = new List<Phase>();
        foreach (var (name, clients, seconds) in plan)
        {
            phaseName = name;
            var before = await Read(http, server.Url, clock.Elapsed.TotalSeconds, name);
            var phase = await Load(http, server.Url, prompts, name, clients, TimeSpan.FromSeconds(seconds), s.MaxTokens);
            var after = await Read(http, server.Url, clock.Elapsed.TotalSeconds, name);
            phases.Add(phase);
            var ttft = phase.Ttft.Order().ToArray();
            double steps = after.Steps - before.Steps, tokens = after.Tokens - before.Tokens;
            Console.WriteLine($"  {name,-13} {clients,2} clients, {phase.Seconds:0} s: {phase.Requests} requests, {phase.Errors} errors, " +
                              $"{phase.TokensPerSecond:N0} tokens/s, TTFT p50 {Percentile(ttft, 0.5) * 1e3:0} ms, " +
                              $"p99 {Percentile(ttft, 0.99) * 1e3:0} ms; decode steps {steps / phase.Seconds:N0}/s, " +
                              $"{(after.StepSeconds - before.StepSeconds) / Math.Max(1, steps) * 1e3:0.00} ms each, " +
                              $"{tokens / Math.Max(1, steps):0.0} rows; server RSS {after.Rss:N0} MB (GC heap {after.GcHeap:N0}, " +
                              $"committed {after.GcCommitted:N0}; malloc in use {after.NativeInUse:N0}, free {after.NativeFree:N0}, " +
                              $"mmapped {after.NativeMapped:N0}); load average {Machine.LoadAverage()}");
        }
        stopSampling.Cancel();
        await sampling;
        Write(samples, outDir);
        var warm = samples.First(x => x.Phase == "1");
        var last = samples[^1];
        Console.WriteLine($"  server RSS after warm-up {warm.Rss:N0} MB, at the end {last.Rss:N0} MB, peak {samples.Max(x => x.Rss):N0} MB; " +
                          $"memory over time in {Path.Combine(outDir, "serve-memory.csv")} and serve-memory.png");
        var one = phases.First(p => p.Name == "1");
        var sixteen = phases.First(p => p.Name == "16");
        Console.WriteLine($"  16 clients / 1 client: {sixteen.TokensPerSecond / one.TokensPerSecond:0.0}× aggregate tokens/s");
        return phases.Sum(p => p.Errors) == 0 ? 0 : 1;
    }

    static async Task<Sample> Read(HttpClient http, Uri url, double seconds, string phase)
    {
        var text = await http.GetStringAsync(new Uri(url, "metrics"));
        double Value(string name)
        {
            foreach (var line in text.Split('\n'))
                if (line.StartsWith(name + " ", StringComparison.Ordinal))
                    return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            return double.NaN;
        }
        const double MB = 1e6;
        return new Sample(seconds, phase, Value("process_resident_memory_bytes") / MB, Value("dotnet_gc_heap_bytes{kind=\"size\"}") / MB,
            Value("dotnet_gc_heap_bytes{kind=\"committed\"}") / MB, Value("native_heap_bytes{kind=\"in_use\"}") / MB,
            Value("native_heap_bytes{kind=\"free\"}") / MB, Value("native_heap_bytes{kind=\"mmapped\"}") / MB,
            Value("sharplm_decode_step_seconds_sum"), Value("sharplm_decode_step_seconds_count"), Value("sharplm_generated_tokens_total"));
    }

    /// <summary>serve-memory.csv (every sample) and serve-memory.png (the memory series against time).</summary>
    static void Write(List<Sample> samples, string outDir)
    {
        var csv = new StringBuilder("seconds,phase,rss_mb,gc_heap_mb,gc_committed_mb,malloc_in_use_mb,malloc_free_mb,mmapped_mb\n");
        foreach (var x in samples)
            csv.AppendLine(FormattableString.Invariant(
                $"{x.Seconds:0.0},{x.Phase},{x.Rss:0.0},{x.GcHeap:0.0},{x.GcCommitted:0.0},{x.NativeInUse:0.0},{x.NativeFree:0.0},{x.NativeMapped:0.0}"));
        AtomicFile.WriteAllText(Path.Combine(outDir, "serve-memory.csv"), csv.ToString());
        var plot = new ScottPlot.Plot();
        var xs = samples.Select(x => x.Seconds).ToArray();
        foreach (var (label, value) in new (string, Func<Sample, double>)[]
                 {
                     ("server RSS", x => x.Rss), ("malloc in use", x => x.NativeInUse), ("malloc free (kept)", x => x.NativeFree),
                     ("mmapped", x => x.NativeMapped), (".NET GC committed", x => x.GcCommitted),
                 })
        {
            var line = plot.Add.ScatterLine(xs, samples.Select(value).ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
        }
        foreach (var start in samples.Where((x, i) => i > 0 && x.Phase != samples[i - 1].Phase))
        {
            var mark = plot.Add.VerticalLine(start.Seconds);
            mark.Text = start.Phase;
            mark.LineWidth = 1;
        }
        plot.Title("sharplm serve: server memory under load (phases: clients)");
        plot.XLabel("seconds");
        plot.YLabel("MB");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        AtomicFile.WriteAllBytes(Path.Combine(outDir, "serve-memory.png"), plot.GetImageBytes(1100, 550, ScottPlot.ImageFormat.Png));
    }

    static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    /// <summary><paramref name="clients"/> loops, each streaming one request after another until the time is up.</summary>
    static async Task<Phase> Load(HttpClient http, Uri url, string[] prompts, string name, int clients, TimeSpan duration, int maxTokens)
    {
        var clock = Stopwatch.StartNew();
        var ttft = new List<double>();
        int requests = 0, errors = 0;
        long tokens = 0;
        async Task Client(int c)
        {
            for (int i = 0; clock.Elapsed < duration; i++)
            {
                var body = new JsonObject
                {
                    ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompts[(c + i) % prompts.Length] }),
                    ["max_tokens"] = maxTokens, ["temperature"] = 0.8, ["stream"] = true, ["seed"] = c * 1000 + i,
                };
                var sent = Stopwatch.StartNew();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url, "v1/chat/completions"))
                        { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    if (!response.IsSuccessStatusCode) throw new HttpRequestException($"status {(int)response.StatusCode}");
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                    bool first = true, done = false;
                    long mine = 0;
                    while (await reader.ReadLineAsync() is { } line)
                    {
                        if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                        if (line == "data: [DONE]") { done = true; break; }
                        var chunk = JsonNode.Parse(line[6..])!;
                        if (chunk["error"] is not null) throw new HttpRequestException(chunk["error"]!["message"]!.GetValue<string>());
                        var delta = chunk["choices"]?.AsArray().FirstOrDefault()?["delta"];
                        if (delta?["content"] is { } content && delta["role"] is null)
                        {
                            if (first) { lock (ttft) ttft.Add(sent.Elapsed.TotalSeconds); first = false; }
                            mine++;
                        }
                    }
                    if (!done) throw new HttpRequestException("the stream ended without [DONE]");
                    Interlocked.Add(ref tokens, mine);
                    Interlocked.Increment(ref requests);
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref errors) <= 3) Console.WriteLine($"    error: {e.Message}");
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => Client(c))));
        return new Phase(name, clients, requests, errors, tokens, clock.Elapsed.TotalSeconds, ttft.ToArray());
    }

    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sharplm-serve-load-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

using System.Diagnostics;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Serving;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;

namespace SharpLM.Bench;

/// <summary>
/// Load on <c>sharplm serve</c> over loopback: N concurrent clients, each streaming chat completions one after another, at
/// 1, 4, 16 and 64 clients; reports errors, time to first token (p50/p99), aggregate tokens/s and this process's RSS
/// before and after (server and clients share the process; the clients are a small part of it). Without --model it serves
/// the reference model (vocabulary 4,096, context 256, depth 4, width 256, 4 heads) with random weights.
/// Args: [--model DIR] [--seconds 60] [--short-seconds 20] [--parallel 32] [--max-tokens 32] [--threads 0].
/// </summary>
public sealed class ServeLoadBench : IBenchmark
{
    public string Name => "serve-load";
    public string Description => "streaming clients against sharplm serve on loopback: errors, TTFT p50/p99, tokens/s at 1/4/16/64, RSS";

    public int Run(string[] args)
    {
        int seconds = int.Parse(Machine.Arg(args, "--seconds", "60"));
        int shortSeconds = int.Parse(Machine.Arg(args, "--short-seconds", "20"));
        int parallel = int.Parse(Machine.Arg(args, "--parallel", "32"));
        int maxTokens = int.Parse(Machine.Arg(args, "--max-tokens", "32"));
        TorchRuntime.Apply(new TorchSettings(int.Parse(Machine.Arg(args, "--threads", "0")), 1));
        using var tmp = new TempFolder();
        var model = Machine.Arg(args, "--model", "");
        if (model.Length == 0) model = ReferenceModel(tmp.Path);
        return RunAsync(model, tmp.Path, seconds, shortSeconds, parallel, maxTokens).GetAwaiter().GetResult();
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

    sealed record Phase(int Clients, int Requests, int Errors, long Tokens, double Seconds, double[] Ttft)
    {
        public double TokensPerSecond => Tokens / Seconds;
    }

    static async Task<int> RunAsync(string model, string tmp, int seconds, int shortSeconds, int parallel, int maxTokens)
    {
        await using var server = await Server.StartAsync(new ServeOptions([model], Port: 0, Parallel: parallel, Queue: 64,
            Feedback: Path.Combine(tmp, "feedback.jsonl")));
        Console.WriteLine($"serve-load: {model}, --parallel {parallel}, max_tokens {maxTokens}, libtorch threads {torch.get_num_threads()}, " +
                          $"{server.Models[0].PrecisionName}; load average {Machine.LoadAverage()}");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, ResponseDrainTimeout = TimeSpan.Zero })
            { Timeout = TimeSpan.FromMinutes(5) };
        // 16-character prompts from the reference vocabulary (CJK ideographs from U+4E00).
        var random = new Random(1);
        var prompts = Enumerable.Range(0, 8)
            .Select(_ => string.Concat(Enumerable.Range(0, 16).Select(_ => char.ConvertFromUtf32(0x4E00 + random.Next(4000))))).ToArray();

        await Load(http, server.Url, prompts, 4, TimeSpan.FromSeconds(5), maxTokens); // warm-up
        var rssBefore = Rss();
        var phases = new List<Phase>();
        foreach (var clients in new[] { 1, 4, 16, 64 })
        {
            var phase = await Load(http, server.Url, prompts, clients, TimeSpan.FromSeconds(clients == 64 ? seconds : shortSeconds), maxTokens);
            phases.Add(phase);
            var ttft = phase.Ttft.Order().ToArray();
            Console.WriteLine($"  {clients,2} clients, {phase.Seconds:0} s: {phase.Requests} requests, {phase.Errors} errors, " +
                              $"{phase.TokensPerSecond:N0} tokens/s, TTFT p50 {Percentile(ttft, 0.5) * 1e3:0} ms, " +
                              $"p99 {Percentile(ttft, 0.99) * 1e3:0} ms; load average {Machine.LoadAverage()}");
        }
        var rssAfter = Rss();
        Console.WriteLine($"  RSS after warm-up {rssBefore:N0} MB, after all phases {rssAfter:N0} MB");
        Console.WriteLine($"  16 clients / 1 client: {phases[2].TokensPerSecond / phases[0].TokensPerSecond:0.0}× aggregate tokens/s");
        return phases.Sum(p => p.Errors) == 0 ? 0 : 1;
    }

    static double Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64 / 1e6;
    }

    static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    /// <summary><paramref name="clients"/> loops, each streaming one request after another until the time is up.</summary>
    static async Task<Phase> Load(HttpClient http, Uri url, string[] prompts, int clients, TimeSpan duration, int maxTokens)
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
        return new Phase(clients, requests, errors, tokens, clock.Elapsed.TotalSeconds, ttft.ToArray());
    }

    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sharplm-serve-load-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

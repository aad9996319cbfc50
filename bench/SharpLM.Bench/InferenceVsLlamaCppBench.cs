using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LLama;
using LLama.Common;
using LLama.Native;
using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Interop;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;

namespace SharpLM.Bench;

/// <summary>
/// SharpLM's inference engine against llama.cpp (LLamaSharp 0.30.0, CPU backend) on the same model: the reference shape
/// (vocabulary 4,096, context 256, depth 4, width 256, 4 heads) in the exportable Qwen3 layout (SwiGLU + QK-norm), random
/// weights, exported with <see cref="GgufExporter"/>. Same threads, greedy decoding on both, runs alternating in one
/// process, median of the repeats: prefill of a 128-token prompt (= time to first token), batch-1 decode of N tokens after
/// a 16-token prompt, batch-8 decode (8 sequences), for f32 and half-precision weights (our bf16 and fp16 copies; llama.cpp
/// f16). llama.cpp keeps its default f16 KV cache. Args: [threads=2] [decode tokens=200] [repeats=5].
/// </summary>
public sealed class InferenceVsLlamaCppBench : IBenchmark
{
    public string Name => "inference-vs-llamacpp";
    public string Description => "SharpLM vs llama.cpp on the exported reference model: prefill, TTFT, decode at batch 1 and 8, memory";

    const int Vocab = 4096, Context = 256, PromptLong = 128, PromptShort = 16, Batch = 8;

    public int Run(string[] args)
    {
        int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
        int threads = Arg(0, 2), decode = Arg(1, 200), repeats = Arg(2, 5);
        TorchRuntime.Apply(new TorchSettings(Threads: threads, Seed: 1));
        var tmp = Directory.CreateTempSubdirectory("sharplm-vs-llamacpp-").FullName;
        try
        {
            var tokenizer = SyntheticTokenizer(Path.Combine(tmp, "tok"));
            var config = new GptConfig(Vocab, Context, Depth: 4, Width: 256, Heads: 4, KvHeads: 4, Mlp: MlpKind.SwiGlu, QkNorm: true);
            using var model = new Gpt(config);
            model.eval();
            var dir = Path.Combine(tmp, "model");
            Checkpoint.Save(dir, model, tokenizer, "bench");
            var random = new Random(1);
            int[] Prompt(int n) => Enumerable.Range(0, n).Select(_ => random.Next(Vocab - SpecialTokens.All.Count)).ToArray();
            var longPrompt = Prompt(PromptLong);
            var shortPrompts = Enumerable.Range(0, Batch).Select(_ => Prompt(PromptShort)).ToArray();

            Console.WriteLine($"reference model (qwen3 layout): {config.ParameterCount:N0} parameters; {threads} thread(s) each; " +
                              $"{decode} decoded tokens; median of {repeats}; load average {Machine.LoadAverage()}");
            Console.WriteLine($"CPU: {CpuModel()}; llama.cpp KV cache f16 (its default), SharpLM's in the compute precision");
            long rssStart = Rss();
            foreach (var (ours, theirs) in new[] { (torch.ScalarType.Float32, GgufType.F32), (torch.ScalarType.BFloat16, GgufType.F16),
                                                   (torch.ScalarType.Float16, GgufType.F16) })
            {
                var gguf = Path.Combine(tmp, $"model-{theirs}.gguf");
                if (!File.Exists(gguf)) GgufExporter.Export(new GgufExportOptions(dir, gguf, theirs));
                long before = Rss();
                using var llama = new LlamaRunner(gguf, threads, Context * Batch);
                long llamaBytes = Rss() - before;
                var generator = new Generator(model, tokenizer, ours);
                var sharp = new Engine("SharpLM " + Generator.Precisions.First(p => p.Value == ours).Key,
                    p => generator.Generate([p], new GenerationOptions(1, SamplingOptions.Greedy, [])),
                    (p, n) => generator.Generate(p, new GenerationOptions(n, SamplingOptions.Greedy, [])));
                var cpp = new Engine($"llama.cpp {theirs}", p => llama.Generate([p], 1), llama.Generate);
                // Warm-up of both, then alternating measured runs.
                foreach (var e in new[] { sharp, cpp }) { e.Prefill(shortPrompts[0]); e.Decode([shortPrompts[0]], 8); }
                var results = new Dictionary<string, List<double[]>> { [sharp.Name] = [], [cpp.Name] = [] };
                for (int r = 0; r < repeats; r++)
                    foreach (var e in r % 2 == 0 ? new[] { sharp, cpp } : [cpp, sharp])
                    {
                        double ttft = Seconds(() => e.Prefill(longPrompt));
                        double first1 = Seconds(() => e.Prefill(shortPrompts[0]));
                        double b1 = Seconds(() => e.Decode([shortPrompts[0]], decode)) - first1;
                        double first8 = Seconds(() => e.Decode(shortPrompts, 1));
                        double b8 = Seconds(() => e.Decode(shortPrompts, decode)) - first8;
                        results[e.Name].Add([PromptLong / ttft, ttft * 1e3, (decode - 1) / b1, Batch * (decode - 1) / b8]);
                    }
                foreach (var (name, runs) in results)
                {
                    double M(int i) => Machine.Median(runs.Select(v => v[i]));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {name,-18} prefill {M(0),8:N0} tok/s  TTFT(128) {M(1),6:F1} ms  decode b1 {M(2),6:N0} tok/s  " +
                        $"decode b8 {M(3),7:N0} tok/s aggregate"));
                }
                Console.WriteLine($"  llama.cpp model + context: +{llamaBytes / 1048576.0:N0} MiB RSS when loaded");
            }
            // Where SharpLM's batch-1 time goes: the bare cached fp32 forward pass per token (no sampling, no engine).
            var bare = Enumerable.Range(0, repeats).Select(_ => (decode - 1) / InferenceBench.BareDecode(model, config, decode).Wall);
            Console.WriteLine($"  SharpLM fp32 bare cached forward pass, batch 1: {Machine.Median(bare):N0} tok/s (median)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"memory: RSS {Rss() / 1048576.0:N0} MiB (start {rssStart / 1048576.0:N0}), peak {Machine.PeakRssMb():N0} MB; " +
                $"weights {config.ParameterCount * 4 / 1048576.0:N1} MiB fp32; load average after {Machine.LoadAverage()}"));
            return 0;
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    sealed record Engine(string Name, Action<int[]> Prefill, Action<int[][], int> Decode);

    static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    static string CpuModel() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
        : "?";

    /// <summary>
    /// A byte-level BPE tokenizer of exactly 4,096 ids without training: the 256 bytes, then pairs of printable ASCII
    /// characters (each a merge of two bytes), then the specials. The bench feeds ids, so only the size matters.
    /// </summary>
    static Tokenizer SyntheticTokenizer(string dir)
    {
        Directory.CreateDirectory(dir);
        var ranks = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        for (int a = 33; a < 127 && ranks.Count < Vocab - SpecialTokens.All.Count; a++)
            for (int b = 33; b < 127 && ranks.Count < Vocab - SpecialTokens.All.Count; b++)
                ranks.Add([(byte)a, (byte)b]);
        File.WriteAllBytes(Path.Combine(dir, BpeTokenizer.RankFile), TiktokenRanks.Serialize(ranks));
        var specials = new JsonObject();
        for (int i = 0; i < SpecialTokens.All.Count; i++) specials[SpecialTokens.All[i]] = ranks.Count + i;
        File.WriteAllText(Path.Combine(dir, Tokenizer.DescriptorFile), new JsonObject
        {
            ["kind"] = BpeTokenizer.Kind, ["vocab_size"] = Vocab, ["pattern"] = ChunkSplitter.Gpt4Pattern,
            ["max_pretoken_bytes"] = ChunkSplitter.DefaultMaxBytes, ["ranks"] = ranks.Count, ["special_tokens"] = specials,
        }.ToJsonString());
        return Tokenizer.Load(dir);
    }

    /// <summary>llama.cpp through LLamaSharp: one context with a sequence per batch row, greedy decoding.</summary>
    sealed class LlamaRunner : IDisposable
    {
        readonly LLamaWeights _weights;
        readonly LLamaContext _context;

        public LlamaRunner(string gguf, int threads, int contextSize)
        {
            var p = new ModelParams(gguf)
            {
                ContextSize = (uint)contextSize, BatchSize = 512, SeqMax = Batch, GpuLayerCount = 0, Threads = threads, BatchThreads = threads,
            };
            _weights = LLamaWeights.LoadFromFile(p);
            _context = _weights.CreateContext(p);
        }

        /// <summary>Prefills every prompt (one sequence each) and decodes <paramref name="tokens"/> greedily per sequence.</summary>
        public void Generate(int[][] prompts, int tokens)
        {
            _context.NativeHandle.MemoryClear(true);
            var batch = new LLamaBatch();
            for (int s = 0; s < prompts.Length; s++)
                for (int i = 0; i < prompts[s].Length; i++)
                    batch.Add((LLamaToken)prompts[s][i], i, (LLamaSeqId)s, i == prompts[s].Length - 1);
            Check(_context.Decode(batch));
            var next = new int[prompts.Length];
            var logitIndex = Enumerable.Range(0, prompts.Length).Select(s => prompts.Take(s + 1).Sum(p => p.Length) - 1).ToArray();
            for (int t = 0; t < tokens; t++)
            {
                for (int s = 0; s < prompts.Length; s++)
                    next[s] = Sampler.ArgMax(_context.NativeHandle.GetLogitsIth(logitIndex[s]));
                if (t == tokens - 1) break;
                batch.Clear();
                for (int s = 0; s < prompts.Length; s++) batch.Add((LLamaToken)next[s], prompts[s].Length + t, (LLamaSeqId)s, true);
                Check(_context.Decode(batch));
                for (int s = 0; s < prompts.Length; s++) logitIndex[s] = s;
            }
        }

        static void Check(DecodeResult result)
        {
            if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}");
        }

        public void Dispose()
        {
            _context.Dispose();
            _weights.Dispose();
        }
    }
}

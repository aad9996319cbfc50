using System.Diagnostics;
using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;
using TorchSharp;

namespace SharpLM.Bench;

/// <summary>
/// Inference speed on the reference model (vocabulary 4,096, context 256, depth 4, width 256, 4 heads; random weights):
/// prefill tokens/s, time to first token, decode tokens/s at batch 1 and batch 8 through <see cref="Generator"/>, the bare
/// cached forward pass per token for comparison, and memory. Args: [threads=1] [decode tokens=200] [repeats=3].
/// </summary>
public sealed class InferenceBench : IBenchmark
{
    public string Name => "inference";
    public string Description => "prefill, time to first token, decode tokens/s at batch 1 and 8 with fp32, fp16 and bf16 weights, RSS (reference model)";

    public int Run(string[] args)
    {
        var (decode, repeats) = Setup(args, defaultThreads: 1, defaultRepeats: 3);
        var tokenizer = Vocabulary(4096);
        var config = new GptConfig(VocabSize: 4096, ContextLength: 256, Depth: 4, Width: 256, Heads: 4, KvHeads: 4);
        using var model = new Gpt(config);
        var generator = new Generator(model, tokenizer);
        var random = new Random(1);
        int[] Prompt(int length) => Enumerable.Range(0, length).Select(_ => random.Next(4096 - SpecialTokens.All.Count)).ToArray();
        var sampling = new SamplingOptions(Temperature: 1f);

        Console.WriteLine($"reference model: {config.ParameterCount:N0} parameters, libtorch threads {torch.get_num_threads()}, " +
                          $"load average {Machine.LoadAverage()}");
        Console.WriteLine("rates from wall time, and in brackets from this process's CPU time (the cores are shared: wall time " +
                          "also counts other jobs' turns; CPU time over-counts when libtorch threads spin)");
        Cost Best(Func<Cost> measure)
        {
            var runs = Enumerable.Range(0, repeats).Select(_ => measure()).ToList();
            return new Cost(runs.Min(r => r.Wall), runs.Min(r => r.Cpu), Machine.Median(runs.Select(r => r.Wall)));
        }

        var prompt128 = Prompt(128);
        var prompt16 = Prompt(16);
        int[][] prompts8 = Enumerable.Range(0, 8).Select(_ => prompt16).ToArray();
        var once = new GenerationOptions(MaxNewTokens: 1, Sampling: sampling);
        var many = new GenerationOptions(MaxNewTokens: decode, Sampling: sampling);
        // Weights while generating (Generator precision): fp32 reproduces the forward pass; bf16 (the CLI default) and fp16
        // copies halve the bytes every decoded token streams.
        foreach (var precision in new[] { torch.ScalarType.Float32, torch.ScalarType.BFloat16, torch.ScalarType.Float16 })
        {
            var g = new Generator(model, tokenizer, precision);
            g.Generate([prompt16], many); // warm-up, so the first precision is not measured on cold code paths
            Console.WriteLine($"{precision} weights:");
            // Prefill: one token out, so this is also the time to first token (it includes taking the inference copies).
            var prefill = Best(() => Time(() => g.Generate([prompt128], once)));
            var ttft1 = Best(() => Time(() => g.Generate([prompt16], once)));
            Console.WriteLine($"  prefill, 128-token prompt: {prefill.Rate(128)} tokens/s; time to first token {prefill.Ms} " +
                              $"(16-token prompt: {ttft1.Ms})");
            // Decode: 16-token prompt, `decode` tokens; decode time excludes the time to first token.
            var b1 = Best(() => Time(() => g.Generate([prompt16], many)) - ttft1);
            Console.WriteLine($"  decode, batch 1: {b1.Rate(decode - 1)} tokens/s; median {b1.MedianRate(decode - 1)}");
            var ttft8 = Best(() => Time(() => g.Generate(prompts8, once)));
            var b8 = Best(() => Time(() => g.Generate(prompts8, many)) - ttft8);
            Console.WriteLine($"  decode, batch 8: {b8.Rate(8 * (decode - 1))} tokens/s aggregate (median {b8.MedianRate(8 * (decode - 1))}) = " +
                              $"{b1.Wall * 8 / b8.Wall:0.0}× batch 1 ({b1.Cpu * 8 / b8.Cpu:0.0}×); time to first token {ttft8.Ms}");
        }

        // The bare cached forward pass (embedding → logits, no sampling, no copy out) to see what the engine adds; measured
        // alternately with the engine so both see the same load.
        Cost engine = new(double.MaxValue, double.MaxValue), bare = engine;
        for (int r = 0; r < repeats; r++)
        {
            var e = Time(() => generator.Generate([prompt16], many)) - Time(() => generator.Generate([prompt16], once));
            var b = BareDecode(model, config, decode);
            (engine, bare) = (new(Math.Min(engine.Wall, e.Wall), Math.Min(engine.Cpu, e.Cpu)), new(Math.Min(bare.Wall, b.Wall), Math.Min(bare.Cpu, b.Cpu)));
        }
        Console.WriteLine($"fp32, batch 1, engine vs bare cached forward pass, measured alternately: {engine.Rate(decode - 1)} vs " +
                          $"{bare.Rate(decode - 1)} tokens/s");

        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"memory: RSS {process.WorkingSet64 / 1048576.0:N0} MiB, peak {process.PeakWorkingSet64 / 1048576.0:N0} MiB");
        return 0;
    }

    /// <summary>Best wall and CPU seconds of the repeats, and the median wall seconds (how a typical run fares).</summary>
    /// <summary>Positional args [threads] [decode tokens=200] [repeats]: applies the threads, returns the other two.</summary>
    internal static (int Decode, int Repeats) Setup(string[] args, int defaultThreads, int defaultRepeats)
    {
        int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i]) : fallback;
        TorchRuntime.Apply(new TorchSettings(Threads: Arg(0, defaultThreads), Seed: 1));
        return (Arg(1, 200), Arg(2, defaultRepeats));
    }

    /// <summary>A character vocabulary of CJK ideographs plus the specials: exactly <paramref name="size"/> ids.</summary>
    internal static CharTokenizer Vocabulary(int size) =>
        new(Enumerable.Range(0x4E00, size - SpecialTokens.All.Count).Select(char.ConvertFromUtf32));

    internal readonly record struct Cost(double Wall, double Cpu, double MedianWall = double.NaN)
    {
        public static Cost operator -(Cost a, Cost b) => new(a.Wall - b.Wall, a.Cpu - b.Cpu, a.MedianWall - b.MedianWall);
        public string MedianRate(int tokens) => $"{tokens / MedianWall:N0}";
        public string Rate(int tokens) => $"{tokens / Wall:N0} ({tokens / Cpu:N0})";
        public string Ms => $"{Wall * 1e3:0.0} ms ({Cpu * 1e3:0.0} ms)";
    }

    static Cost Time(Action action)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        process.Refresh();
        return new Cost(clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    internal static Cost BareDecode(Gpt model, GptConfig config, int tokens)
    {
        using var mode = torch.inference_mode();
        using var fused = model.FuseForInference();
        using var cache = new KvCache(config, 1, torch.CPU);
        using (var _ = torch.NewDisposeScope()) model.Hidden(torch.zeros(1, 16, torch.ScalarType.Int64), cache);
        return Time(() =>
        {
            for (int i = 1; i < tokens; i++)
            {
                using var scope = torch.NewDisposeScope();
                model.Logits(model.Hidden(torch.full(1, 1, i % 4000, torch.ScalarType.Int64), cache));
            }
        });
    }
}

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
    public string Description => "prefill, time to first token, decode tokens/s at batch 1 and 8, RSS (reference model)";

    public int Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0]) : 1;
        int decode = args.Length > 1 ? int.Parse(args[1]) : 200;
        int repeats = args.Length > 2 ? int.Parse(args[2]) : 3;
        TorchRuntime.Apply(new TorchSettings(Threads: threads, Seed: 1));
        // A character vocabulary of CJK ideographs plus the specials: exactly 4,096 ids.
        var tokenizer = new CharTokenizer(Enumerable.Range(0x4E00, 4096 - SpecialTokens.All.Count).Select(char.ConvertFromUtf32));
        var config = new GptConfig(VocabSize: 4096, ContextLength: 256, Depth: 4, Width: 256, Heads: 4, KvHeads: 4);
        using var model = new Gpt(config);
        var generator = new Generator(model, tokenizer);
        var random = new Random(1);
        int[] Prompt(int length) => Enumerable.Range(0, length).Select(_ => random.Next(4096 - SpecialTokens.All.Count)).ToArray();
        var sampling = new SamplingOptions(Temperature: 1f);

        Console.WriteLine($"reference model: {config.ParameterCount:N0} parameters, libtorch threads {torch.get_num_threads()}, " +
                          $"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        double Best(Func<double> measure) => Enumerable.Range(0, repeats).Select(_ => measure()).Min();

        // Prefill: a 128-token prompt, one token out (so this is also the time to first token for such a prompt).
        var prompt128 = Prompt(128);
        var once = new GenerationOptions(MaxNewTokens: 1, Sampling: sampling);
        generator.Generate([prompt128], once); // warm-up
        double prefill = Best(() => Time(() => generator.Generate([prompt128], once)));
        Console.WriteLine($"prefill 128 tokens, batch 1: {prefill * 1e3:0.0} ms = {128 / prefill:N0} tokens/s (time to first token)");
        var prompt16 = Prompt(16);
        double ttft16 = Best(() => Time(() => generator.Generate([prompt16], once)));
        Console.WriteLine($"time to first token, 16-token prompt: {ttft16 * 1e3:0.0} ms");

        // Decode: 16-token prompt, `decode` tokens; decode time excludes the prefill measured above.
        var many = new GenerationOptions(MaxNewTokens: decode, Sampling: sampling);
        double b1 = Best(() => Time(() => generator.Generate([prompt16], many)) - ttft16);
        double rate1 = (decode - 1) / b1;
        Console.WriteLine($"decode batch 1: {rate1:N0} tokens/s ({b1 / (decode - 1) * 1e6:0} µs/token)");

        int[][] prompts8 = Enumerable.Range(0, 8).Select(_ => prompt16).ToArray();
        double ttft8 = Best(() => Time(() => generator.Generate(prompts8, once)));
        double b8 = Best(() => Time(() => generator.Generate(prompts8, many)) - ttft8);
        double rate8 = 8 * (decode - 1) / b8;
        Console.WriteLine($"decode batch 8: {rate8:N0} tokens/s aggregate ({rate8 / rate1:0.0}× batch 1; prefill 8×16 {ttft8 * 1e3:0.0} ms)");

        // The bare cached forward pass (embedding → logits, no sampling, no copy out) to see what the engine adds.
        double bare = Best(() => BareDecode(model, config, decode));
        Console.WriteLine($"bare cached forward, batch 1: {(decode - 1) / bare:N0} tokens/s ({bare / (decode - 1) * 1e6:0} µs/token)");

        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"memory: RSS {process.WorkingSet64 / 1048576.0:N0} MiB, peak {process.PeakWorkingSet64 / 1048576.0:N0} MiB");
        return 0;
    }

    /// <summary>Seconds of this process's CPU time, not wall time: on cores shared with other jobs, the wall clock also counts
    /// their turns. With one libtorch thread the two agree on an idle machine.</summary>
    static double Time(Action action)
    {
        using var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        action();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds;
    }

    static double BareDecode(Gpt model, GptConfig config, int tokens)
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

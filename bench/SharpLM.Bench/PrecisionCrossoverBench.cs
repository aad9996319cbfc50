using System.Diagnostics;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Training;
using TorchSharp;

namespace SharpLM.Bench;

/// <summary>
/// Where half-precision weights start to pay at batch 1: decode tokens/s with fp32 and bf16 weights for depth-4 models of
/// growing width (random weights), measured alternately (median of the repeats), next to the bytes of fp32 matrices a token streams. This is the
/// measurement behind <see cref="ComputePrecision.ForGeneration"/>. Args: [threads=0] [decode tokens=200] [repeats=5].
/// </summary>
public sealed class PrecisionCrossoverBench : IBenchmark
{
    public string Name => "precision-crossover";
    public string Description => "batch-1 decode tokens/s, fp32 vs bf16 weights, by model size (the auto precision rule)";

    public int Run(string[] args)
    {
        var (decode, repeats) = InferenceBench.Setup(args, defaultThreads: 0, defaultRepeats: 5);
        Console.WriteLine($"libtorch threads {torch.get_num_threads()}, load average {Machine.LoadAverage()}; median of {repeats} × {decode} tokens, prefill included");
        Console.WriteLine("vocabulary  width  fp32 matrices  fp32 tokens/s  bf16 tokens/s  auto");
        foreach (var (vocab, width) in new[] { (2048, 192), (4096, 256), (4096, 384), (4096, 512), (4096, 768), (4096, 1024) })
        {
            var tokenizer = InferenceBench.Vocabulary(vocab);
            var config = new GptConfig(vocab, ContextLength: 256, Depth: 4, Width: width, Heads: 4, KvHeads: 4);
            using var model = new Gpt(config);
            var generators = new[] { torch.ScalarType.Float32, torch.ScalarType.BFloat16 }.Select(p => new Generator(model, tokenizer, p)).ToArray();
            var prompt = Enumerable.Range(0, 16).ToArray();
            var options = new GenerationOptions(MaxNewTokens: decode, Sampling: new SamplingOptions(Temperature: 1f));
            var rates = new[] { new List<double>(), new List<double>() };
            foreach (var g in generators) g.Generate([prompt], options); // warm-up
            for (int r = 0; r < repeats; r++)
                for (int i = 0; i < 2; i++)
                {
                    var clock = Stopwatch.StartNew();
                    generators[i].Generate([prompt], options);
                    rates[i].Add(decode / clock.Elapsed.TotalSeconds);
                }
            // The median, not the best: the choice should hold for a typical run, and fp32 swings more between runs.
            var median = rates.Select(Machine.Median).ToArray();
            long matrices = ComputePrecision.StreamedBytes(config);
            var auto = ComputePrecision.ForGeneration("auto", config, () => MatmulPeak.Measure(0)).Name;
            Console.WriteLine($"{vocab,10:N0}  {width,5}  {matrices / 1048576.0,9:0.0} MiB  {median[0],13:N0}  {median[1],13:N0}  {auto}");
        }
        return 0;
    }
}

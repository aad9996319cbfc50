using System.Diagnostics;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Bench;

/// <summary>
/// Peak RSS of a few fp32 AdamW training steps of one model size, for the largest model that trains in a memory budget
/// (issue 18: 24 GiB at context 1024). One size per process, so the peak is that size's own. The family is nanochat's:
/// width 64·depth, head size 128 (heads = depth / 2), ReLU² MLP, untied head; random tokens (memory does not depend on
/// the data). Prints `summary {json}` with parameters and peak RSS, to fit peak ≈ a + b·parameters over sizes.
/// </summary>
public sealed class TrainMemoryBench : IBenchmark
{
    public string Name => "train-memory";
    public string Description => "peak RSS of fp32 AdamW steps at one size [--depth N --context 1024 --batch 1 --vocab 4096 --steps 3 --threads N]";

    public int Run(string[] args)
    {
        int Int(string name, string fallback) => int.Parse(Machine.Arg(args, name, fallback), CultureInfo.InvariantCulture);
        int depth = Int("--depth", "8"), T = Int("--context", "1024"), B = Int("--batch", "1"), V = Int("--vocab", "4096");
        int steps = Int("--steps", "3"), threads = Int("--threads", "2");
        Console.WriteLine($"load average before: {Machine.LoadAverage()}; {Machine.CpuLine()}");
        TorchRuntime.Apply(new TorchSettings(threads, Seed: 1337));
        double startRss = Machine.RssMb();
        var config = new GptConfig(VocabSize: V, ContextLength: T, Depth: depth, Width: 64 * depth,
            Heads: Math.Max(1, depth / 2), KvHeads: Math.Max(1, depth / 2));
        using var model = new Gpt(config);
        using var adamw = OptimizerFactory.AdamW(model, new AdamWSettings(Lr: 3e-4));
        var runner = new StepRunner(model, adamw, new LrSchedule(3e-4, 3e-5, 1, steps));
        double modelRss = Machine.RssMb();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"depth {depth}, width {64 * depth}, {config.ParameterCount:N0} parameters, context {T}, batch {B}, vocabulary {V}; " +
            $"RSS {startRss:F0} MB with libtorch, {modelRss:F0} MB with the model"));
        for (int s = 0; s < steps; s++)
        {
            var clock = Stopwatch.StartNew();
            var result = runner.Step(s, 1, _ =>
            {
                var idx = randint(0, V, [B, T + 1]);
                return model.Loss(idx.narrow(1, 0, T), idx.narrow(1, 1, T));
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  step {s + 1}: loss {result.Loss:F4}, {clock.Elapsed.TotalSeconds:F1} s, RSS {Machine.RssMb():F0} MB, " +
                $"peak {Machine.PeakRssMb():F0} MB; {NativeAllocator.Heap()}"));
        }
        double gib = Machine.PeakRssMb() * 1e6 / (1L << 30);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"train-memory: {config.ParameterCount:N0} parameters, peak RSS {Machine.PeakRssMb():F0} MB = {gib:F2} GiB, " +
            $"{Machine.PeakRssMb() * 1e6 / config.ParameterCount:F1} bytes/parameter; load average after: {Machine.LoadAverage()}"));
        Console.WriteLine("summary " + System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, double>
        {
            ["depth"] = depth, ["parameters"] = config.ParameterCount, ["peak_rss_mb"] = Machine.PeakRssMb(),
            ["model_rss_mb"] = modelRss, ["start_rss_mb"] = startRss,
        }));
        return 0;
    }
}

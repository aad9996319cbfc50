using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SharpLM.Training;

namespace SharpLM.Bench;

/// <summary>
/// nanoGPT's CPU "baby GPT" on Tiny Shakespeare, character level: context 64, batch 12, 4 layers, 4 heads, width 128,
/// 2,000 iterations with the rate decaying over 2,000 (1e-3 → 1e-4, warmup 100), AdamW β2 0.99, weight decay 0.1, clip 1.0,
/// no dropout, 90/10 split. nanoGPT reports validation loss ≈ 1.88; the bench passes at ≤ 1.88.
/// </summary>
public sealed class PretrainShakespeareBench : IBenchmark
{
    public string Name => "shakespeare";
    public string Description => "nanoGPT baby GPT on Tiny Shakespeare (char level): val loss ≤ 1.88 in 2,000 steps [--threads N --steps N --precision auto|fp32|bf16 --out DIR]";

    public int Run(string[] args)
    {
        int threads = int.Parse(Machine.Arg(args, "--threads", "1"), CultureInfo.InvariantCulture);
        long steps = long.Parse(Machine.Arg(args, "--steps", "2000"), CultureInfo.InvariantCulture);
        // auto by default (bf16 where measured faster); fp32 for a like-for-like comparison with nanoGPT's fp32 CPU run.
        var precision = Machine.Arg(args, "--precision", ComputePrecision.Auto);
        var output = Machine.Arg(args, "--out", Path.Combine(Path.GetTempPath(), $"sharplm-shakespeare-{Guid.NewGuid():N}"));
        // nanoGPT treats the file as one stream and validates on its last 10%; the corpus reader would split a .txt into
        // paragraphs (and validate on every tenth), so the text goes in as a single JSONL document to keep that protocol.
        Directory.CreateDirectory(output);
        var single = Path.Combine(output, "tinyshakespeare.jsonl");
        var text = File.ReadAllText(SharedData.Path("pretrain/en/tinyshakespeare.txt"));
        File.WriteAllText(single, JsonSerializer.Serialize(new { text }) + "\n");
        var options = new PretrainOptions(
            [single], "char", Path.Combine(output, "run"),
            new ModelShape(Depth: 4, Context: 64, Width: 128, Heads: 4),
            Steps: steps, BatchSize: 12, Lr: 1e-3, MinLr: 1e-4, WarmupSteps: 100, DecaySteps: steps,
            WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.99, GradClip: 1.0, Threads: threads, Seed: 1337,
            EvalEvery: 250, EvalBatches: 50, LogEvery: 50, Precision: precision);
        Console.WriteLine($"load average before: {Machine.LoadAverage()}; precision {precision}; {Machine.CpuLine()}");
        var clock = Stopwatch.StartNew();
        var result = new Pretrainer(log: Console.WriteLine).Run(options);
        var val = result.Val!.Loss;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"shakespeare: val loss {val:F4} (target ≤ 1.88), train loss {result.TrainLoss:F4}, {result.Steps} steps, " +
            $"training wall time {result.Seconds:F1} s ({clock.Elapsed.TotalSeconds:F1} s with data preparation), {result.TokensPerSecond:N0} tok/s, " +
            $"MFU {100 * result.Mfu:F1}%, {threads} thread(s), load average after: {Machine.LoadAverage()}; run folder {output}"));
        return val <= 1.88 ? 0 : 1;
    }
}

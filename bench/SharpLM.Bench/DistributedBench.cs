using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SharpLM.Core;
using SharpLM.Distributed;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Bench;

/// <summary>
/// Data parallelism on this machine and beyond it. Runs itself three times: one process × 2 threads accumulating two
/// micro-batches per step; <c>mpirun -np 2</c> × 1 thread, one micro-batch each (the same global batch); and
/// <c>mpirun -np 2</c> timing all-reduces of 4 KB … 256 MB. Reports tokens/s, scaling efficiency, the all-reduce share of
/// a step, the measured bus bandwidth, and a projection of efficiency at 8 and 64 ranks over 10 and 100 Gb/s networks
/// (ring all-reduce: t = 2(n−1)/n · S / B + 2(n−1) · α) for the reference model and GPT-2 small (124M).
/// Model: the reference configuration (V 4,096, T 256, depth 4, width 256, 4 heads), micro-batch 8 × 256 tokens,
/// random token ids (throughput does not depend on the text).
/// </summary>
public sealed class DistributedBench : IBenchmark
{
    public string Name => "distributed";
    public string Description => "data parallelism: 1×2 threads vs 2 ranks×1 thread, all-reduce bandwidth, projection [--steps N]";

    const int B = 8, T = 256, Warmup = 2;
    static readonly GptConfig Reference = new(VocabSize: 4096, ContextLength: T, Depth: 4, Width: 256, Heads: 4, KvHeads: 4);

    public int Run(string[] args)
    {
        if (args.Contains("--train")) return Train(args);
        if (args.Contains("--bandwidth")) return Bandwidth();
        int steps = int.Parse(Machine.Arg(args, "--steps", "10"), CultureInfo.InvariantCulture);
        Console.WriteLine($"load average before: {Machine.LoadAverage()}");
        var self = typeof(DistributedBench).Assembly.Location;
        string[] train = ["distributed", "--train", "--steps", steps.ToString(CultureInfo.InvariantCulture)];
        var one = Result(Launch(false, [self, .. train, "--threads", "2"]));
        var two = Result(Launch(true, [self, .. train, "--threads", "1"]));
        var bandwidth = Result(Launch(true, [self, "distributed", "--bandwidth"]));
        Console.WriteLine($"load average after: {Machine.LoadAverage()}");

        double tps1 = one.GetProperty("tokens_per_s").GetDouble(), tps2 = two.GetProperty("tokens_per_s").GetDouble();
        double step2 = two.GetProperty("step_s").GetDouble(), reduce2 = two.GetProperty("reduce_s").GetDouble();
        Console.WriteLine();
        Console.WriteLine($"model {Reference.ParameterCount:N0} parameters ({Reference.ParameterCount * 4 / 1e6:F1} MB of fp32 gradients); " +
                          $"global batch 2 × {B} × {T} = {2 * B * T:N0} tokens/step; {steps} timed steps after {Warmup} warm-up");
        Console.WriteLine("| layout | tokens/s | step (median) | all-reduce per step (median) | efficiency vs 1 × 2 threads |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(Row("1 process × 2 threads, 2 micro-batches", tps1, one.GetProperty("step_s").GetDouble(), null, 1));
        Console.WriteLine(Row("2 processes × 1 thread, 1 micro-batch each", tps2, step2, reduce2, tps2 / tps1));

        Console.WriteLine();
        Console.WriteLine("all-reduce over shared memory, 2 ranks (median of repeats; bus bandwidth = 2(n−1)/n · bytes / time):");
        Console.WriteLine("| buffer | time | bus bandwidth |");
        Console.WriteLine("|---|---|---|");
        foreach (var point in bandwidth.GetProperty("points").EnumerateArray())
        {
            double bytes = point.GetProperty("bytes").GetDouble(), seconds = point.GetProperty("seconds").GetDouble();
            Console.WriteLine(Inv($"| {Size(bytes)} | {seconds * 1e3:F3} ms | {point.GetProperty("bus_gbps").GetDouble():F2} GB/s |"));
        }

        Project(one);
        return 0;
    }

    static string Row(string layout, double tps, double step, double? reduce, double efficiency) =>
        Inv($"| {layout} | {tps:N0} | {step * 1e3:F0} ms | {(reduce is { } r ? $"{r * 1e3:F1} ms ({100 * r / step:F1}% of the step)" : "—")} | {100 * efficiency:F0}% |");

    /// <summary>
    /// Weak scaling (each rank keeps its micro-batch) with the all-reduce after backward (no overlap; see
    /// <see cref="GradientBuckets"/>): efficiency = compute / (compute + all-reduce). Compute per micro-batch is this
    /// machine's measured fp32 rate per thread-pair, scaled by FLOPs for the larger model.
    /// </summary>
    static void Project(JsonElement one)
    {
        double flopRate = one.GetProperty("tokens_per_s").GetDouble() * Reference.TrainingFlopsPerToken(T); // 2 threads
        // GPT-2 small as published: 124,439,808 parameters (embedding tied to the output head), T 1,024, 12 layers of width
        // 768; training FLOPs per token 6N + 6·L·T·d (Kaplan et al.: forward 2N + 2·L·T·d, backward twice that).
        const double gpt2Params = 124_439_808;
        var models = new (string Name, double Parameters, double FlopsPerToken, int Rows, int Context)[]
        {
            ($"reference ({Reference.ParameterCount / 1e6:F1}M)", Reference.ParameterCount, Reference.TrainingFlopsPerToken(T), B, T),
            ("GPT-2 small (124M)", gpt2Params, 6 * gpt2Params + 6.0 * 12 * 1024 * 768, 8, 1024),
        };
        var networks = new (string Name, double BytesPerSecond, double Latency)[]
        {
            ("10 Gb/s Ethernet (α = 50 µs)", 10e9 / 8, 50e-6),
            ("100 Gb/s InfiniBand/RoCE (α = 5 µs)", 100e9 / 8, 5e-6),
        };
        Console.WriteLine();
        Console.WriteLine(Inv($"projection: compute at this machine's measured {flopRate / 1e9:F1} GFLOP/s per 2-thread rank (fp32); ring all-reduce t = 2(n−1)/n·S/B + 2(n−1)·α"));
        Console.WriteLine("| model | micro-batch per rank | compute per step | network | ranks | all-reduce | efficiency |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, parameters, flopsPerToken, rows, ctx) in models)
        {
            double compute = rows * ctx * flopsPerToken / flopRate;
            double bytes = parameters * 4.0;
            foreach (var (net, bw, alpha) in networks)
                foreach (int n in new[] { 8, 64 })
                {
                    double reduce = 2.0 * (n - 1) / n * bytes / bw + 2.0 * (n - 1) * alpha;
                    Console.WriteLine(Inv($"| {name} | {rows} × {ctx} | {compute:F2} s | {net} | {n} | {reduce * 1e3:F1} ms | {100 * compute / (compute + reduce):F1}% |"));
                }
        }
    }

    /// <summary>A worker: a few timed steps of the reference model, one line of JSON from rank 0.</summary>
    static int Train(string[] args)
    {
        int threads = int.Parse(Machine.Arg(args, "--threads", "1"), CultureInfo.InvariantCulture);
        int steps = int.Parse(Machine.Arg(args, "--steps", "10"), CultureInfo.InvariantCulture);
        using var world = World.Start();
        TorchRuntime.Apply(new TorchSettings(threads, Seed: 1337));
        manual_seed(1337);
        using var model = new Gpt(Reference);
        using var adamw = OptimizerFactory.AdamW(model, new AdamWSettings(Lr: 3e-3));
        using var runner = new StepRunner(model, adamw, new LrSchedule(3e-3, 3e-4, 5, Warmup + steps), world: world);
        world.Broadcast(model);
        Tensor Loss(long step, int micro)
        {
            using var g = new TorchSharp.torch.Generator((ulong)(step * 2 + micro + 1));
            var tokens = randint(0, Reference.VocabSize, [B, T + 1], generator: g);      // (B, T+1)
            return model.Loss(tokens.narrow(1, 0, T), tokens.narrow(1, 1, T));
        }
        var stepTimes = new List<double>();
        var reduceTimes = new List<double>();
        var clock = new Stopwatch();
        for (int s = 0; s < Warmup + steps; s++)
        {
            if (s == Warmup) { world.Barrier(); clock.Start(); }
            var one = Stopwatch.StartNew();
            int step = s;
            runner.Step(step, 2, i => Loss(step, i));
            if (s < Warmup) continue;
            stepTimes.Add(one.Elapsed.TotalSeconds);
            reduceTimes.Add(runner.LastReduceSeconds);
        }
        world.Barrier();
        double seconds = clock.Elapsed.TotalSeconds;
        if (world.IsMain)
            Console.WriteLine("RESULT " + JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["tokens_per_s"] = steps * 2.0 * B * T / seconds, ["step_s"] = Machine.Median(stepTimes),
                ["reduce_s"] = Machine.Median(reduceTimes), ["ranks"] = world.Size, ["threads"] = threads,
            }));
        return 0;
    }

    /// <summary>A worker: median time of all-reduces of 4 KB … 256 MB of fp32.</summary>
    static int Bandwidth()
    {
        using var world = World.Start();
        var points = new List<Dictionary<string, double>>();
        foreach (long floats in new long[] { 1 << 10, 1 << 14, 1 << 18, 1 << 20, 1 << 22, 1 << 24, 1 << 26 })
        {
            var buffer = new float[floats];
            int repeats = floats <= 1 << 20 ? 50 : floats <= 1 << 24 ? 10 : 4;
            var times = new List<double>();
            for (int r = 0; r < repeats + 1; r++)
            {
                world.Barrier();
                var clock = Stopwatch.StartNew();
                world.AllReduce(buffer.AsSpan());
                if (r > 0) times.Add(clock.Elapsed.TotalSeconds);
            }
            // Every rank must agree on the time: the slowest rank's is the collective's.
            double median = world.AllGather(Machine.Median(times)).Max();
            double bytes = floats * sizeof(float);
            // Bus bandwidth: the bytes a ring all-reduce moves per rank, 2(n−1)/n · S, over the time.
            points.Add(new() { ["bytes"] = bytes, ["seconds"] = median, ["bus_gbps"] = 2.0 * (world.Size - 1) / world.Size * bytes / median / 1e9 });
        }
        if (world.IsMain) Console.WriteLine("RESULT " + JsonSerializer.Serialize(new { points }));
        return 0;
    }

    static string Launch(bool mpi, string[] args)
    {
        var info = new ProcessStartInfo(mpi ? "mpirun" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (mpi)
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "2", "dotnet" })
                info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new SharpLmException($"could not start {info.FileName}");
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new SharpLmException($"{info.FileName} {string.Join(' ', args)} failed:\n{output}\n{err.Result}");
        return output;
    }

    /// <summary>The JSON after "RESULT " (mpirun may put terminal control codes before it on the line).</summary>
    static JsonElement Result(string output)
    {
        var line = output.Split('\n').Last(l => l.Contains("RESULT ", StringComparison.Ordinal));
        return JsonDocument.Parse(line[(line.IndexOf("RESULT ", StringComparison.Ordinal) + "RESULT ".Length)..]).RootElement;
    }

    static string Size(double bytes) => bytes >= 1 << 20 ? Inv($"{bytes / (1 << 20):F0} MB") : Inv($"{bytes / 1024:F0} KB");

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

using System.Diagnostics;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Bench;

/// <summary>
/// Training throughput on the reference configuration: vocabulary 4,096, context 256, depth 4, width 256, 4 heads,
/// batch 16 × 256 tokens, AdamW. Reports tokens/s, MFU against the matmul peak measured in the same process with the same
/// threads, peak RSS, a forward / backward / optimizer breakdown, and the loss reached, so fp32 and bf16 can be compared at
/// equal steps. One precision per process so the peak RSS is that precision's own. MFU is against
/// <see cref="MatmulPeak.Stable"/> with the OpenMP threads pinned; --malloc-default leaves out
/// <see cref="NativeAllocator.KeepFreedMemory"/> (which every SharpLM process applies) to measure what it buys. The last line, `summary {json}`, is what `vs-torch` reads.
/// Data: Tiny Shakespeare through a character tokenizer (ids &lt; 4,096); the model keeps the full 4,096-wide head, so
/// the compute is the reference configuration's.
/// </summary>
public sealed class PretrainThroughputBench : IBenchmark
{
    public string Name => "throughput";
    public string Description => "tokens/s, MFU and peak RSS on the reference config " +
        "[--bf16 --threads N --steps N --malloc-default --arena-max N --map-above-mb N --trim-each-step --loss-chunk-rows N --gc-every N --optimizer flat|inplace --attention kernel|sdpa --pin-dotnet-threads --sample-heap --trim-top-mb N,PAD --default-allocator]";

    public int Run(string[] args)
    {
        bool bf16 = args.Contains("--bf16");
        int threads = int.Parse(Machine.Arg(args, "--threads", "2"), CultureInfo.InvariantCulture);
        int steps = int.Parse(Machine.Arg(args, "--steps", "20"), CultureInfo.InvariantCulture);
        bool keepFreed = !args.Contains("--malloc-default");
        const int B = 16, T = 256, warmupSteps = 3;
        Console.WriteLine($"load average before: {Machine.LoadAverage()}; {Machine.CpuLine()}");
        Machine.PinOpenMpThreads();
        if (keepFreed && !NativeAllocator.KeepFreedMemory()) Console.WriteLine("malloc: mallopt refused (not glibc?)");
        Console.WriteLine($"malloc: {(keepFreed ? "freed memory kept for reuse (mallopt)" : "glibc defaults (--malloc-default)")}");
        // Variants of the malloc settings, to measure what each costs in peak RSS and buys in speed (issue 18).
        string arenaMax = Machine.Arg(args, "--arena-max", ""), mapAbove = Machine.Arg(args, "--map-above-mb", "");
        bool trimEachStep = args.Contains("--trim-each-step");
        // Rows of logits per chunk of the loss (HeadLoss); ≥ B·T computes them all at once, as before issue 18's chunking.
        long chunkRows = long.Parse(Machine.Arg(args, "--loss-chunk-rows", "0"), CultureInfo.InvariantCulture);
        if (arenaMax != "") Console.WriteLine($"malloc: at most {arenaMax} arena(s): " +
            NativeAllocator.LimitArenas(int.Parse(arenaMax, CultureInfo.InvariantCulture)));
        if (mapAbove != "") Console.WriteLine($"malloc: blocks from {mapAbove} MB mapped and unmapped: " +
            NativeAllocator.MapAbove((long)(double.Parse(mapAbove, CultureInfo.InvariantCulture) * 1e6)));
        string trimTop = Machine.Arg(args, "--trim-top-mb", "");
        if (trimTop != "")
        {
            var mb = trimTop.Split(',').Select(v => (long)(double.Parse(v, CultureInfo.InvariantCulture) * 1e6)).ToArray();
            Console.WriteLine($"malloc: free heap top above {trimTop.Split(',')[0]} MB given back, keeping {trimTop.Split(',')[^1]} MB: " +
                NativeAllocator.TrimTopAbove(mb[0], mb[^1]));
        }
        if (trimEachStep) Console.WriteLine("malloc: free pages given back after each step (malloc_trim)");
        TorchRuntime.Apply(new TorchSettings(threads, Seed: 1337, KeepFreedMemory: keepFreed));
        // libgomp bound this thread, and so every thread pool worker, to one core (see Machine.ReleaseDotNetThreads).
        Console.WriteLine(Machine.ReleaseDotNetThreadsUnlessPinned(args));
        void Memory(string when) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  memory {when}: RSS {Machine.RssMb():F0} MB, peak {Machine.PeakRssMb():F0} MB; {NativeAllocator.Heap()}"));
        Memory("with libtorch loaded");
        var peak = MatmulPeak.Stable(threads);
        Memory("after the matmul peak");
        // As Pretrainer and SftTrainer do: libtorch's CPU tensors from the caching allocator; --default-allocator leaves it
        // out to measure what it buys.
        using var allocator = args.Contains("--default-allocator") ? null : CachingCpuAllocator.Acquire();
        Console.WriteLine($"allocator: {allocator?.ToString() ?? "libtorch's default (--default-allocator)"}");
        if (allocator is not null) Memory("with the caching allocator");

        using var tmp = new TemporaryFolder();
        var tokenizer = CharTokenizer.Train([File.ReadAllText(SharedData.Path("pretrain/en/tinyshakespeare.txt"))]);
        TokenDataset.Prepare([SharedData.Path("pretrain/en/tinyshakespeare.txt")], tokenizer, TokenizerFingerprint.Of(tokenizer), tmp.Path);
        using var data = TokenDataset.Open(tmp.Path);

        manual_seed(1337);
        var config = new GptConfig(VocabSize: 4096, ContextLength: T, Depth: 4, Width: 256, Heads: 4, KvHeads: 4);
        using var model = new Gpt(config) { ComputeType = bf16 ? ScalarType.BFloat16 : ScalarType.Float32 };
        // --optimizer inplace: the per-parameter InPlaceAdamW (and clip_grad_norm_) that FlatAdamW replaced, for comparison.
        bool inPlace = Machine.Arg(args, "--optimizer", "flat") == "inplace";
        using var adamw = inPlace ? OptimizerStepBench.InPlace(model, 3e-3) : OptimizerFactory.AdamW(model, new AdamWSettings(Lr: 3e-3));
        Console.WriteLine($"optimizer: {adamw.GetType().Name}");
        // --attention sdpa: libtorch's scaled_dot_product_attention, the path CausalAttentionFunction replaced (issue 18).
        bool sdpa = Machine.Arg(args, "--attention", "kernel") == "sdpa";
        foreach (var block in model.Blocks) block.Attention.SdpaInTraining = sdpa;
        Console.WriteLine($"attention: {(sdpa ? "libtorch SDPA (--attention sdpa)" : "CausalAttentionFunction where it applies")}");
        int gcEvery = int.Parse(Machine.Arg(args, "--gc-every", "1"), CultureInfo.InvariantCulture);
        var runner = new StepRunner(model, adamw, new LrSchedule(3e-3, 3e-4, 5, warmupSteps + steps), gcEvery: gcEvery);
        Memory($"with the data and the model ({config.ParameterCount * 4 / 1e6:F0} MB of fp32 weights)");
        bool stepping = true;
        StepResult Step(long index)
        {
            var result = runner.Step(index, 1, _ => Loss(index));
            if (trimEachStep) NativeAllocator.ReleaseFreePages();
            return result;
        }
        Tensor Loss(long index)
        {
            var (x, y) = BatchSampler.Sample(data.Train, B, T, 1337, 0, index); // (B, T)
            var loss = model.Loss(x, y, chunkRows);
            if (stepping && (index is 0 or 1 || index == warmupSteps + steps - 1))
                Memory($"after the forward pass of step {index + 1}");
            return loss;
        }

        double startRss = Machine.RssMb(), startPeak = Machine.PeakRssMb();
        Step(0);
        double firstStepPeak = Machine.PeakRssMb();
        Memory("after step 1 (adds gradients and AdamW state)");
        for (int s = 1; s < warmupSteps; s++) Step(s);
        Memory($"after step {warmupSteps}");
        // --sample-heap: malloc's memory in use and held, sampled every millisecond through the timed steps, so the peak in
        // use (not only at the end of a forward pass) can be told from the free memory malloc keeps (it perturbs the timing).
        using var sampler = args.Contains("--sample-heap") ? new HeapSampler() : null;
        var clock = Stopwatch.StartNew();
        var losses = new List<double>();
        double fastestStep = double.MaxValue;
        for (int s = warmupSteps; s < warmupSteps + steps; s++)
        {
            var one = Stopwatch.StartNew();
            losses.Add(Step(s).Loss);
            fastestStep = Math.Min(fastestStep, one.Elapsed.TotalSeconds);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double timedPeak = Machine.PeakRssMb();
        stepping = false;
        Memory($"after step {warmupSteps + steps}");
        if (sampler is not null) Console.WriteLine($"  malloc over the timed steps: {sampler.Stop()}");
        if (CachingCpuAllocator.Installed)
        {
            var (cached, hits, misses) = CachingCpuAllocator.Stats;
            Console.WriteLine($"  caching allocator: {hits:N0} blocks reused, {misses:N0} mapped, {cached / 1e6:F0} MB cached now");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  RSS: {startRss:F0} MB before the first step (peak {startPeak:F0} so far: runtime, libtorch, matmul peak, data), " +
            $"peak {firstStepPeak:F0} MB after the first step, {timedPeak:F0} MB after the timed steps"));

        // Where the time goes, each the fastest of a few repetitions (the least disturbed by other load): forward with the
        // graph kept, forward + backward, and a whole step (adds clipping, AdamW and zero_grad).
        double forwardMs = FastestMs(() => Loss(0));
        double forwardBackwardMs = FastestMs(() => Loss(0).backward());
        double stepMs = FastestMs(() => runner.Step(0, 1, _ => Loss(0)));

        double tokPerSec = (double)steps * B * T / seconds;
        double flopsPerToken = config.TrainingFlopsPerToken(T);
        double achieved = tokPerSec * flopsPerToken;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput {(bf16 ? "bf16" : "fp32")}: {tokPerSec:N0} tok/s, {achieved / 1e9:F1} GFLOP/s model, " +
            $"MFU {100 * peak.Mfu(achieved):F1}% of fp32 peak {peak.Fp32Gflops:F1} GFLOP/s ({100 * peak.Mfu(achieved, bf16: true):F1}% of bf16 peak {peak.Bf16Gflops:F1}), " +
            $"peak RSS {Machine.PeakRssMb():F0} MB, loss after {warmupSteps + steps} steps {losses.TakeLast(5).Average():F4} (mean of last 5)"));
        double bestTokPerSec = B * T / fastestStep;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  fastest timed step: {bestTokPerSec:N0} tok/s, MFU {100 * peak.Mfu(bestTokPerSec * flopsPerToken):F1}% of fp32 peak, {100 * peak.Mfu(bestTokPerSec * flopsPerToken, bf16: true):F1}% of bf16 peak"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  fastest step {stepMs:F0} ms: forward {forwardMs:F0} ms, backward {forwardBackwardMs - forwardMs:F0} ms, clip+AdamW+zero_grad {stepMs - forwardBackwardMs:F0} ms; " +
            $"{config.ParameterCount:N0} parameters, {flopsPerToken / 1e6:F2} MFLOPs/token, {threads} thread(s), load average after: {Machine.LoadAverage()}"));
        Console.WriteLine("summary " + System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, double>
        {
            ["tok_s"] = tokPerSec, ["fastest_tok_s"] = bestTokPerSec, ["peak_rss_mb"] = Machine.PeakRssMb(),
            ["forward_ms"] = forwardMs, ["backward_ms"] = forwardBackwardMs - forwardMs, ["optimizer_ms"] = stepMs - forwardBackwardMs,
            ["fp32_peak_gflops"] = peak.Fp32Gflops, ["loss"] = losses.TakeLast(5).Average(),
            ["rss_before_steps_mb"] = startRss, ["peak_rss_timed_mb"] = timedPeak,
        }));
        return 0;
    }

    static double FastestMs(Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sharplm-throughput-{Guid.NewGuid():N}");

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>Samples <see cref="NativeAllocator.Heap"/> every millisecond on its own thread until stopped.</summary>
sealed class HeapSampler : IDisposable
{
    readonly Thread _thread;
    volatile bool _stop;
    long _maxInUse, _maxHeld, _samples;

    public HeapSampler()
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                if (NativeAllocator.Heap() is { } h)
                {
                    _maxInUse = Math.Max(_maxInUse, h.InUse);
                    _maxHeld = Math.Max(_maxHeld, h.Held);
                    _samples++;
                }
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        _thread.Start();
    }

    public string Stop()
    {
        _stop = true;
        _thread.Join();
        return string.Create(CultureInfo.InvariantCulture,
            $"largest in use {_maxInUse / 1e6:F0} MB, largest held {_maxHeld / 1e6:F0} MB ({_samples:N0} samples)");
    }

    public void Dispose() => _stop = true;
}

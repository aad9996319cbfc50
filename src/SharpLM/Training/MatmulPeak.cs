using System.Collections.Concurrent;
using System.Diagnostics;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>Measured dense matmul throughput of this machine at a thread count: the denominator of MFU.</summary>
/// <param name="Fp16Gflops">Measured only on request (<see cref="MatmulPeak.Measure"/> with fp16); NaN otherwise.</param>
public sealed record MatmulPeakResult(int Threads, int Size, double Fp32Gflops, double Bf16Gflops, double Fp16Gflops = double.NaN)
{
    /// <summary>Model FLOPs utilisation: achieved FLOP/s over the peak of the same precision.</summary>
    public double Mfu(double achievedFlopsPerSecond, bool bf16 = false) =>
        achievedFlopsPerSecond / ((bf16 ? Bf16Gflops : Fp32Gflops) * 1e9);
}

/// <summary>
/// Times square matrix multiplies (fp32 and bf16, optionally fp16) at start-up. Measured once per process and thread
/// count, then reused, so several runs in one process (tests, benchmarks) pay for it once.
/// </summary>
/// <remarks>
/// Start-up stays bounded whatever the CPU: a half precision is first timed on a small matrix, and only when that shows
/// native speed (at least a quarter of fp32's) is it timed at full size. Where bf16 is emulated (AVX2-only CPUs: about
/// 1 GFLOP/s against 80–140 in fp32) a full-size product alone would take seconds.
/// </remarks>
public static class MatmulPeak
{
    static readonly ConcurrentDictionary<(int Threads, int Size, bool Fp16), MatmulPeakResult> Measured = new();

    /// <summary>Side of the small matrix a half precision is probed on before it earns a full-size timing.</summary>
    const int ProbeSize = 256;

    /// <summary>GFLOP/s of an n×n·n×n matmul with <paramref name="threads"/> libtorch threads (0 = keep the current setting).</summary>
    public static MatmulPeakResult Measure(int threads, int size = 1024, double seconds = 0.4, bool fp16 = false)
    {
        if (threads > 0 && get_num_threads() != threads) set_num_threads(threads);
        return Measured.GetOrAdd((get_num_threads(), size, fp16), key =>
        {
            double fp32 = Gflops(ScalarType.Float32, size, size, size, seconds);
            return new MatmulPeakResult(key.Threads, size, fp32, Half(ScalarType.BFloat16, fp32, size, seconds),
                fp16 ? Half(ScalarType.Float16, fp32, size, seconds) : double.NaN);
        });
    }

    /// <summary>Square sizes <see cref="Stable"/> tries: the best differs by machine (cache sizes, kernel blocking).</summary>
    public static IReadOnlyList<int> StableSizes { get; } = [512, 1024, 1536, 2048];

    /// <summary>
    /// A peak that does not swing with the neighbours' load: the fastest product over several square sizes, each timed in
    /// <paramref name="rounds"/> interleaved rounds (a burst of load spoils one round of one size, not the result). For
    /// benchmarks, whose MFU compares runs; about 2 s, where <see cref="Measure"/> (training start-up) takes 0.5 s.
    /// bf16 is timed the same way only where it is native (the small probe of <see cref="Measure"/>).
    /// </summary>
    public static MatmulPeakResult Stable(int threads, int rounds = 3, double secondsPerTiming = 0.15)
    {
        if (threads > 0 && get_num_threads() != threads) set_num_threads(threads);
        double bf16Probe = Gflops(ScalarType.BFloat16, ProbeSize, ProbeSize, ProbeSize, 0.05);
        double bestFp32 = 0, bestBf16 = bf16Probe;
        int bestSize = 0;
        for (int round = 0; round < rounds; round++)
            foreach (int n in StableSizes)
            {
                double fp32 = Gflops(ScalarType.Float32, n, n, n, secondsPerTiming);
                if (fp32 > bestFp32) (bestFp32, bestSize) = (fp32, n);
                if (bf16Probe >= fp32 / 4) bestBf16 = Math.Max(bestBf16, Gflops(ScalarType.BFloat16, n, n, n, secondsPerTiming));
            }
        return new MatmulPeakResult(get_num_threads(), bestSize, bestFp32, bestBf16);
    }

    static double Half(ScalarType type, double fp32Gflops, int size, double seconds)
    {
        double probe = Gflops(type, ProbeSize, ProbeSize, ProbeSize, seconds / 8);
        return probe < fp32Gflops / 4 ? probe : Gflops(type, size, size, size, seconds);
    }

    /// <summary>
    /// GFLOP/s of (m×k)·(k×n) products in <paramref name="type"/>, from the fastest product within about
    /// <paramref name="seconds"/> (at least 3 after 2 warm-ups). With <paramref name="castFromFp32"/> the operands start in
    /// fp32 and each product pays their cast, as a model with fp32 master weights computing in <paramref name="type"/> does.
    /// </summary>
    public static double Gflops(ScalarType type, int m, int k, int n, double seconds, bool castFromFp32 = false)
    {
        using var scope = NewDisposeScope();
        // A private generator keeps the global RNG stream (and so training determinism) untouched.
        using var gen = new Generator(0);
        var a = randn(m, k, generator: gen);
        var b = randn(k, n, generator: gen);
        if (!castFromFp32)
        {
            a = a.to_type(type);
            b = b.to_type(type);
        }
        void Product()
        {
            using var inner = NewDisposeScope();
            if (castFromFp32) mm(a.to_type(type), b.to_type(type));
            else mm(a, b);
        }
        for (int i = 0; i < 2; i++) Product(); // warm up caches and thread pool
        // The fastest single product, not the mean: on shared cores the mean measures the neighbours' load, the fastest
        // is closest to what the hardware can do (so MFU errs low rather than high).
        var total = Stopwatch.StartNew();
        double best = double.MaxValue;
        for (int reps = 0; total.Elapsed.TotalSeconds < seconds || reps < 3; reps++)
        {
            var one = Stopwatch.StartNew();
            Product();
            best = Math.Min(best, one.Elapsed.TotalSeconds);
        }
        return 2.0 * m * k * n / best / 1e9;
    }
}

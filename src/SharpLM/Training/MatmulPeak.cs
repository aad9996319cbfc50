using System.Collections.Concurrent;
using System.Diagnostics;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>Measured dense matmul throughput of this machine at a thread count: the denominator of MFU.</summary>
public sealed record MatmulPeakResult(int Threads, int Size, double Fp32Gflops, double Bf16Gflops)
{
    /// <summary>Model FLOPs utilisation: achieved FLOP/s over the peak of the same precision.</summary>
    public double Mfu(double achievedFlopsPerSecond, bool bf16 = false) =>
        achievedFlopsPerSecond / ((bf16 ? Bf16Gflops : Fp32Gflops) * 1e9);
}

/// <summary>
/// Times square matrix multiplies (fp32 and bf16) for a fraction of a second at start-up. Measured once per process and
/// thread count, then reused, so several runs in one process (tests, benchmarks) pay for it once.
/// </summary>
public static class MatmulPeak
{
    static readonly ConcurrentDictionary<(int Threads, int Size), MatmulPeakResult> Measured = new();

    /// <summary>GFLOP/s of an n×n·n×n matmul with <paramref name="threads"/> libtorch threads (0 = keep the current setting).</summary>
    public static MatmulPeakResult Measure(int threads, int size = 1024, double seconds = 0.4)
    {
        if (threads > 0 && get_num_threads() != threads) set_num_threads(threads);
        return Measured.GetOrAdd((get_num_threads(), size), key =>
            new MatmulPeakResult(key.Threads, size, Time(ScalarType.Float32, size, seconds), Time(ScalarType.BFloat16, size, seconds)));
    }

    static double Time(ScalarType type, int n, double seconds)
    {
        using var scope = NewDisposeScope();
        // A private generator keeps the global RNG stream (and so training determinism) untouched.
        using var gen = new Generator(0);
        var a = randn(n, n, generator: gen).to_type(type);
        var b = randn(n, n, generator: gen).to_type(type);
        for (int i = 0; i < 2; i++) mm(a, b).Dispose(); // warm up caches and thread pool
        // The fastest single product, not the mean: on shared cores the mean measures the neighbours' load, the fastest
        // is closest to what the hardware can do (so MFU errs low rather than high).
        var total = Stopwatch.StartNew();
        double best = double.MaxValue;
        for (int reps = 0; total.Elapsed.TotalSeconds < seconds || reps < 3; reps++)
        {
            var one = Stopwatch.StartNew();
            mm(a, b).Dispose();
            best = Math.Min(best, one.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// x·Wᵀ for a few rows of fp32 (decoding: one token per sequence), computed here instead of by libtorch. libtorch's MKL
/// sends a one-row product to its matrix-vector routine, which on AMD CPUs runs the generic kernel
/// (<c>mkl_blas_def_xsgemv</c>): 64 % of a batch-1 decoded token on the Zen 4 machine (perf, issue 15; the same kernel led
/// the Zen 3 profile). This loop reads each weight row once for all rows with the CPU's widest vectors, so a token streams
/// its weights at memory speed. Only without autograd (generation, evaluation), on the CPU, for contiguous 2-D weights; the
/// sums run in another order than MKL's, so results differ from libtorch's in the last bits of fp32.
/// </summary>
internal static class SmallBatchLinear
{
    /// <summary>Rows up to which this beats a matrix-matrix product (which MKL does run in a Zen kernel).</summary>
    public const int MaxRows = 16;

    /// <summary>
    /// Weight elements (8 MiB of fp32) from which a product is split over libtorch's threads. Splitting every product of
    /// 0.5 MiB and up made 2-thread decoding of the reference model slower than 1 thread (714 vs 1,098 tokens/s, both cores
    /// shared): waking workers costs more than a small matrix takes to stream.
    /// </summary>
    const long ParallelFrom = 1 << 21;

    public static bool Applies(Tensor x, Tensor weight)
    {
        if (x.dtype != ScalarType.Float32 || weight.dtype != ScalarType.Float32) return false;
        if (x.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU || weight.dim() != 2) return false;
        long k = weight.shape[1];
        long n = x.numel();
        return n <= MaxRows * k && n % k == 0 && weight.numel() < int.MaxValue / sizeof(float) && !is_grad_enabled()
               && weight.is_contiguous();
    }

    /// <summary>x (…, k) · weight (n, k)ᵀ → (…, n), fp32.</summary>
    public static Tensor Forward(Tensor x, Tensor weight)
    {
        long n = weight.shape[0], k = weight.shape[1];
        var input = x.is_contiguous() ? x : x.contiguous();
        int rows = (int)(input.numel() / k);
        var shape = x.shape;
        shape[^1] = n;
        var y = empty(shape, ScalarType.Float32, x.device);
        nint w = Address(weight), xs = Address(input), ys = Address(y);
        int threads = get_num_threads(), bits = BestVectorBits;
        if (threads <= 1 || n * k < ParallelFrom)
            Range(w, xs, ys, 0, n, n, (int)k, rows, bits);
        else
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
                t => Range(w, xs, ys, n * t / threads, n * (t + 1) / threads, n, (int)k, rows, bits));
        return y;
    }

    /// <summary>The widest vectors this CPU runs natively: 512 (AVX-512), 256 (AVX2) or 0 (scalar loops).</summary>
    public static int BestVectorBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0;

    /// <summary>Where a contiguous CPU tensor's elements start (its bytes are libtorch's memory, not a copy).</summary>
    public static unsafe nint Address(Tensor t) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>
    /// Output columns [from, to) of input (rows, k) · weight (n, k)ᵀ into output (rows, n): each weight row is read once (it
    /// stays in L1 across the rows). <paramref name="bits"/>: vector width, 512, 256 or 0 (scalar; tests pick each).
    /// </summary>
    public static unsafe void Range(nint weight, nint input, nint output, long from, long to, long n, int k, int rows, int bits)
    {
        float* w = (float*)weight, xs = (float*)input, ys = (float*)output;
        for (long o = from; o < to; o++)
        {
            float* wo = w + o * k;
            for (int r = 0; r < rows; r++) ys[r * n + o] = Dot(wo, xs + (long)r * k, k, bits);
        }
    }

    /// <summary>Σ a[i]·b[i] over k floats with <paramref name="bits"/>-wide vectors (0: scalar).</summary>
    public static unsafe float Dot(float* a, float* b, int k, int bits)
    {
        int i = 0;
        float sum = 0;
        if (bits == 512 && k >= 64)
        {
            // Four accumulators hide the fused multiply-add latency.
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 64 <= k; i += 64)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 32), Vector512.Load(b + i + 32), s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 48), Vector512.Load(b + i + 48), s3);
            }
            for (; i + 16 <= k; i += 16) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
            sum = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (bits >= 256 && k >= 32)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 32 <= k; i += 32)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24), s3);
            }
            for (; i + 8 <= k; i += 8) s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
            sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        }
        for (; i < k; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }
}

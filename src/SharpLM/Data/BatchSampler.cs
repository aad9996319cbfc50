using SharpLM.Core;
using static TorchSharp.torch;

namespace SharpLM.Data;

/// <summary>
/// Random-offset (B, T+1) windows from a <see cref="TokenFile"/>, split into inputs x = window[:, :-1] and targets
/// y = window[:, 1:]. Offsets are a pure function of (seed, stream, index, row), so batch k of a run is the same batch
/// whether or not the run was interrupted and resumed — the data position is just the step.
/// </summary>
public static class BatchSampler
{
    /// <summary>Inputs and targets, both (B, T) int64 on <paramref name="device"/>.</summary>
    public static (Tensor X, Tensor Y) Sample(TokenFile file, int batch, int context, long seed, long stream, long index, Device? device = null)
    {
        long span = file.Length - context - 1;
        if (span < 0)
            throw new SharpLmException($"{file.Path}: {file.Length} tokens is fewer than one window of {context + 1} (lower --context)");
        var window = new long[batch * (context + 1)];
        for (int r = 0; r < batch; r++)
        {
            ulong key = Mix(Mix(Mix((ulong)seed ^ 0x5348_4152_504C_4D00UL) ^ (ulong)stream) ^ (ulong)index) ^ (ulong)r;
            long offset = (long)(Mix(key) % (ulong)(span + 1));
            file.Read(offset, window.AsSpan(r * (context + 1), context + 1));
        }
        var all = tensor(window, [batch, context + 1], ScalarType.Int64, device);              // (B, T+1)
        return (all.narrow(1, 0, context), all.narrow(1, 1, context));                          // (B, T), (B, T)
    }

    /// <summary>SplitMix64 finaliser: a well-mixed 64-bit hash.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

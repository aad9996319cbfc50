using TorchSharp;

namespace SharpLM.Core;

/// <summary>Torch settings the whole project shares: thread count, seed and device.</summary>
/// <param name="Threads">libtorch intra-op threads; 0 means all cores.</param>
/// <param name="Device">"cpu", or "cuda"/"cuda:N" when a CUDA libtorch package is referenced instead of libtorch-cpu-linux-x64.</param>
/// <param name="KeepFreedMemory">Apply <see cref="NativeAllocator.KeepFreedMemory"/> (process-wide, cannot be undone);
/// false leaves glibc's defaults (a benchmark's comparison run).</param>
public sealed record TorchSettings(int Threads = 0, long Seed = 1337, string Device = "cpu", bool KeepFreedMemory = true);

public static class TorchRuntime
{
    static readonly object Gate = new();

    /// <summary>Applies the settings and returns the device to place tensors on.</summary>
    public static torch.Device Apply(TorchSettings settings)
    {
        lock (Gate)
        {
            // Before the first tensor: freed activations are kept for the next step instead of re-mapped (about 13 % faster
            // training on the reference configuration, at ~10 % more peak RSS; bench/RESULTS.md, issue 18).
            if (settings.KeepFreedMemory) NativeAllocator.KeepFreedMemory();
            // Before libtorch loads: its OpenMP workers spin ~0.2 ms instead of ~5 ms when idle (see OpenMpSpin).
            OpenMpSpin.Limit();
            int threads = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount;
            // Set explicitly: libtorch's default can oversubscribe when .NET also runs work on the same cores.
            if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
            torch.manual_seed(settings.Seed);
            return ParseDevice(settings.Device);
        }
    }

    public static torch.Device ParseDevice(string device)
    {
        var d = device.Trim().ToLowerInvariant();
        if (d == "cpu") return torch.CPU;
        if (d == "cuda" || d.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new SharpLmException(
                    $"device '{device}' requested but CUDA is not available: build with -p:TorchBackend=cuda (a CUDA " +
                    "libtorch package; see README, 'GPU') and run on a machine with an NVIDIA driver");
            return new torch.Device(d);
        }
        throw new SharpLmException($"unknown device '{device}': expected cpu, cuda or cuda:N");
    }
}

using System.Runtime.InteropServices;

namespace SharpLM.Core;

/// <summary>
/// glibc malloc settings for libtorch's CPU allocator, set from inside the process (mallopt), not by environment.
/// </summary>
/// <remarks>
/// libtorch allocates each activation and gradient with malloc and frees it when the step ends. glibc serves blocks above
/// its mmap threshold with a fresh mapping and unmaps them on free, so every step maps the same hundreds of MB again and
/// page-faults on each new page (4–5 % of a step in kernel page clearing, issue 18). Disabling mmap for allocations and
/// never trimming the heap keeps freed blocks for the next step instead.
/// </remarks>
public static class NativeAllocator
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;

    static bool _kept;

    /// <summary>Keeps freed native memory for reuse (once per process; a no-op where the C library is not glibc).</summary>
    /// <returns>True when glibc accepted both settings now or earlier.</returns>
    public static bool KeepFreedMemory()
    {
        if (_kept) return true;
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            _kept = MallOpt(M_MMAP_MAX, 0) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        }
        catch (DllNotFoundException) { return false; }  // musl and others: no libc.so.6
        catch (EntryPointNotFoundException) { return false; }
        return _kept;
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);
}

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
    const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3, M_MMAP_MAX = -4, M_ARENA_MAX = -8;

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

    /// <summary>At most <paramref name="count"/> malloc arenas (glibc's default is 8 per core); false where refused.</summary>
    public static bool LimitArenas(int count) => Try(() => MallOpt(M_ARENA_MAX, count) == 1);

    /// <summary>
    /// Gives the free top of the heap back to the system once it exceeds <paramref name="thresholdBytes"/>, keeping
    /// <paramref name="padBytes"/> of it (undoes the never-trim part of <see cref="KeepFreedMemory"/>); false where refused.
    /// </summary>
    public static bool TrimTopAbove(long thresholdBytes, long padBytes) => Try(() =>
        MallOpt(M_TRIM_THRESHOLD, (int)Math.Min(thresholdBytes, int.MaxValue)) == 1
        & MallOpt(M_TOP_PAD, (int)Math.Min(padBytes, int.MaxValue)) == 1);

    /// <summary>
    /// Serves blocks of at least <paramref name="bytes"/> with their own mapping again, returned to the system when freed
    /// (undoes the no-mmap part of <see cref="KeepFreedMemory"/> above that size); false where refused.
    /// </summary>
    public static bool MapAbove(long bytes) => Try(() =>
        MallOpt(M_MMAP_THRESHOLD, (int)Math.Min(bytes, int.MaxValue)) == 1 & MallOpt(M_MMAP_MAX, 65536) == 1);

    /// <summary>Gives every whole free page of every arena back to the system (malloc_trim(0)); false where refused.</summary>
    public static bool ReleaseFreePages() => Try(() => { MallocTrim(0); return true; });

    /// <summary>What malloc holds now (mallinfo2 over all arenas); null where the C library is not glibc ≥ 2.33.</summary>
    public static HeapState? Heap()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var m = MallInfo2();
            return new HeapState((long)(m.Arena + m.Hblkhd), (long)(m.Uordblks + m.Hblkhd), (long)m.Fordblks,
                (long)m.Hblkhd);
        }
        catch (DllNotFoundException) { return null; }
        catch (EntryPointNotFoundException) { return null; }
    }

    static bool Try(Func<bool> call)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return call(); }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    [DllImport("libc.so.6", EntryPoint = "mallinfo2")]
    static extern MallInfo MallInfo2();

    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }
}

/// <summary>malloc's bookkeeping at one moment, in bytes.</summary>
/// <param name="Held">Obtained from the system: heap arenas plus mapped blocks (an upper bound on what it adds to RSS).</param>
/// <param name="InUse">Allocated and not yet freed.</param>
/// <param name="Free">Freed but kept in the arenas for reuse.</param>
/// <param name="Mapped">Blocks served by their own mapping (part of Held and InUse).</param>
public sealed record HeapState(long Held, long InUse, long Free, long Mapped)
{
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"malloc holds {Held / 1e6:F0} MB: {InUse / 1e6:F0} in use, {Free / 1e6:F0} free{(Mapped > 0 ? $", {Mapped / 1e6:F0} mapped" : "")}");
}

using System.Runtime.InteropServices;

namespace SharpLM.Serving;

/// <summary>
/// Where a serving process's memory is, for <c>/metrics</c>: resident set (what the OS charges), the .NET GC heap, and the
/// native malloc heap (libtorch's tensors come from it) split into bytes in use and bytes free but kept. A resident set
/// that grows while the in-use bytes stay put is allocator fragmentation, not a leak; the split tells which.
/// </summary>
public static class ProcessMemory
{
    /// <summary>Resident set size in bytes (/proc/self/status VmRSS on Linux; the working set elsewhere).</summary>
    public static long ResidentBytes()
    {
        if (File.Exists("/proc/self/status"))
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
        return Environment.WorkingSet;
    }

    /// <summary>glibc's malloc heap: (in use, free but kept, mmapped) bytes; null where glibc is not the allocator.</summary>
    public static (long InUse, long Free, long Mapped)? NativeHeap()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var info = mallinfo2();
            return ((long)info.uordblks, (long)info.fordblks, (long)info.hblkhd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // musl or an old glibc: no mallinfo2
        }
    }

    // struct mallinfo2 of glibc ≥ 2.33: ten size_t fields.
    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc.so.6")]
    static extern MallInfo2 mallinfo2();
}

namespace SharpLM.Serving;

/// <summary>
/// Where a serving process's memory is, for <c>/metrics</c>: the resident set (what the OS charges). The .NET GC heap
/// comes from <see cref="GC"/> and the native malloc heap from <see cref="Core.NativeAllocator.Heap"/>: a resident set
/// that grows while malloc's in-use bytes stay put is allocator fragmentation, not a leak.
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
}

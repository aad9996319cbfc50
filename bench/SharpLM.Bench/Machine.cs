using System.Diagnostics;
using System.Runtime.InteropServices;
using SharpLM.Core;

namespace SharpLM.Bench;

/// <summary>What the machine was doing while a benchmark ran: the cores are shared, so every figure carries the load.</summary>
public static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg ("?" elsewhere).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>"AMD EPYC (family 25 model 17); avx2 fma avx512f … avx512_bf16": what a figure was measured on.</summary>
    public static string CpuLine()
    {
        var cpu = CpuInfo.Current;
        string Field(string name) => File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))
                ?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        var flags = File.Exists("/proc/cpuinfo")
            ? string.Join(' ', Field("flags").Split(' ').Where(f => f is "avx2" or "fma"
                || f.StartsWith("avx512", StringComparison.Ordinal) || f.StartsWith("amx", StringComparison.Ordinal)))
            : cpu.FeatureLine;
        return $"{cpu.Model} (family {Field("cpu family")} model {Field("model\t")}); {flags}";
    }

    /// <summary>
    /// Binds each OpenMP thread to its own core (OMP_PROC_BIND=close, OMP_PLACES=cores) unless the environment already
    /// says otherwise, so a timing is not spoilt by threads migrating. Only effective before libtorch is loaded (the first
    /// torch call): OpenMP reads these once. Children started afterwards inherit them.
    /// </summary>
    public static void PinOpenMpThreads()
    {
        SetEnv("OMP_PROC_BIND", "close", 0);
        SetEnv("OMP_PLACES", "cores", 0);
    }

    /// <summary>
    /// Lets the .NET runtime's threads run on every core again after <see cref="PinOpenMpThreads"/>. libgomp binds the
    /// thread that loads it (this process's main thread) to the first core, and every thread created from it afterwards
    /// inherits that binding: the thread pool's workers included, so the C# passes that split their rows or heads over
    /// two workers (the fused training functions, the attention kernel, the optimizer) ran both halves on one core in
    /// the pinned benchmarks, unlike training from the CLI, which pins nothing. Only threads named by the runtime
    /// (".NET …") and the calling thread are released; libgomp's own workers keep their cores. Call it after libtorch is
    /// loaded (<c>TorchRuntime.Apply</c>). Returns how many threads were released (0 outside Linux).
    /// </summary>
    public static int ReleaseDotNetThreads()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var mask = new ulong[(Environment.ProcessorCount + 63) / 64];
        for (int cpu = 0; cpu < Environment.ProcessorCount; cpu++) mask[cpu / 64] |= 1UL << (cpu % 64);
        int released = SetAffinity(0, (nint)(mask.Length * 8), mask) == 0 ? 1 : 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            string name = File.Exists(task + "/comm") ? File.ReadAllText(task + "/comm").Trim() : "";
            if (name.StartsWith(".NET", StringComparison.Ordinal)
                && int.TryParse(Path.GetFileName(task), out int tid) && SetAffinity(tid, (nint)(mask.Length * 8), mask) == 0)
                released++;
        }
        return released;
    }

    /// <summary>
    /// <see cref="ReleaseDotNetThreads"/> unless the benchmark's arguments hold --pin-dotnet-threads (the binding every
    /// pinned benchmark had before 2026-11-30 17:30); the line saying which.
    /// </summary>
    public static string ReleaseDotNetThreadsUnlessPinned(string[] args) => args.Contains("--pin-dotnet-threads")
        ? ".NET threads: left bound with the main thread (--pin-dotnet-threads)"
        : $".NET threads: {ReleaseDotNetThreads()} released to every core";

    [DllImport("libc.so.6", EntryPoint = "sched_setaffinity", SetLastError = true)]
    static extern int SetAffinity(int tid, nint size, ulong[] mask);

    // Environment.SetEnvironmentVariable does not reach the native environment the OpenMP runtime reads.
    [DllImport("libc.so.6", EntryPoint = "setenv")]
    static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Resident memory of this process now, in MB.</summary>
    public static double RssMb()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64 / 1e6;
    }

    /// <summary>Peak resident memory of this process so far, in MB.</summary>
    public static double PeakRssMb()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 / 1e6;
    }

    /// <summary>The middle value (the upper one of an even count): how a typical repeat fared.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>Value after <paramref name="name"/> in args, or the fallback.</summary>
    public static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}

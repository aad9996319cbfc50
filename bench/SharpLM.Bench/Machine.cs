using System.Diagnostics;

namespace SharpLM.Bench;

/// <summary>What the machine was doing while a benchmark ran: the cores are shared, so every figure carries the load.</summary>
public static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg ("?" elsewhere).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

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

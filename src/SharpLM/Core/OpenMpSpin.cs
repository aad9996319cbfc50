using System.Runtime.InteropServices;

namespace SharpLM.Core;

/// <summary>
/// How long libtorch's idle OpenMP workers spin before they sleep. libgomp's default (no OMP_WAIT_POLICY, no
/// GOMP_SPINCOUNT) is 300,000 pause loops after each parallel region, ~5 ms on the Zen 4 machine; the gaps between a
/// training step's regions are shorter, so its worker spins on its core through the whole step, and the C# passes that
/// split their work over .NET workers (the fused training functions, the attention kernel, the optimizer) share that core
/// with it. 10,000 loops (~0.2 ms) still bridges back-to-back products. Measured in bench/RESULTS.md (b2, sixth pass):
/// with the attention kernel, 4,737–5,196 tokens/s (fastest steps 5,472–5,498) against 4,530–4,677 (4,832–5,120) at the
/// default spin. Set before libtorch (and with it libgomp, which reads it once) is loaded, and never over a user's own
/// OMP_WAIT_POLICY or GOMP_SPINCOUNT.
/// </summary>
public static class OpenMpSpin
{
    public const string Loops = "10000";

    /// <summary>The GOMP_SPINCOUNT to set given the user's environment, or null when the user chose a wait policy.</summary>
    public static string? Setting(Func<string, string?> environment) =>
        string.IsNullOrEmpty(environment("OMP_WAIT_POLICY")) && string.IsNullOrEmpty(environment("GOMP_SPINCOUNT"))
            ? Loops : null;

    /// <summary>Sets GOMP_SPINCOUNT for this process when <see cref="Setting"/> says so (Linux only); true when set.</summary>
    public static bool Limit()
    {
        if (!OperatingSystem.IsLinux() || Setting(Environment.GetEnvironmentVariable) is not { } loops) return false;
        return SetEnv("GOMP_SPINCOUNT", loops, 0) == 0;
    }

    // Environment.SetEnvironmentVariable does not reach the native environment libgomp reads.
    [DllImport("libc.so.6", EntryPoint = "setenv")]
    static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Core;

/// <summary>
/// The processor and the instruction-set features that decide how fast each precision runs: AVX2 (fp32 at full speed),
/// AVX-512, AVX512-BF16 and AMX (native bf16; without them libtorch emulates bf16 matmuls, about 90× slower than fp32).
/// </summary>
/// <param name="Model">"AMD EPYC 9R14", or the architecture where the model cannot be read.</param>
/// <param name="Features">The features above that this CPU has, lower case as Linux names them (avx2, avx512f…).</param>
public sealed record CpuInfo(string Model, IReadOnlySet<string> Features)
{
    /// <summary>The features reported, in the order they matter for speed.</summary>
    public static IReadOnlyList<(string Flag, string Name)> Known { get; } =
    [
        ("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512"), ("avx512_bf16", "AVX512-BF16"), ("avx512_fp16", "AVX512-FP16"),
        ("amx_bf16", "AMX-BF16"), ("amx_tile", "AMX"),
    ];

    public static CpuInfo Current { get; } = Read();

    public bool Has(string flag) => Features.Contains(flag);

    /// <summary>"AVX2 yes, FMA yes, AVX-512 yes, AVX512-BF16 yes, AVX512-FP16 no, AMX-BF16 no, AMX no".</summary>
    public string FeatureLine => string.Join(", ", Known.Select(k => $"{k.Name} {(Has(k.Flag) ? "yes" : "no")}"));

    /// <summary>Reads /proc/cpuinfo where there is one (Linux); elsewhere asks .NET which instructions it can use.</summary>
    static CpuInfo Read()
    {
        const string procFile = "/proc/cpuinfo";
        if (File.Exists(procFile))
        {
            try { return Parse(File.ReadLines(procFile)); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        var features = new HashSet<string>();
        if (Avx2.IsSupported) features.Add("avx2");
        if (Fma.IsSupported) features.Add("fma");
        if (Avx512F.IsSupported) features.Add("avx512f");
        return new CpuInfo(RuntimeInformation.ProcessArchitecture.ToString(), features);
    }

    /// <summary>The first processor's "model name" and "flags" lines of /proc/cpuinfo text.</summary>
    public static CpuInfo Parse(IEnumerable<string> procCpuinfo)
    {
        string model = RuntimeInformation.ProcessArchitecture.ToString();
        var features = new HashSet<string>();
        bool modelSeen = false, flagsSeen = false;
        foreach (var line in procCpuinfo)
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (!modelSeen && key == "model name")
            {
                model = value;
                modelSeen = true;
            }
            else if (!flagsSeen && key is "flags" or "Features")
            {
                var all = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                features.UnionWith(all.Where(f => Known.Any(k => k.Flag == f)));
                flagsSeen = true;
            }
            if (modelSeen && flagsSeen) break;
        }
        return new CpuInfo(model, features);
    }
}

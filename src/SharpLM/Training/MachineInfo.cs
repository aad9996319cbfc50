using SharpLM.Core;
using SharpLM.Model;
using TorchSharp;

namespace SharpLM.Training;

/// <summary>
/// What <c>sharplm info</c> shows: the libtorch build, the CPU and the features that decide its speed, the matmul peaks
/// measured now, and the precisions <c>auto</c> would pick here.
/// </summary>
/// <param name="TrainingAuto">auto's choice for training the reference model (depth 4, width 256, context 256).</param>
/// <param name="GenerationAuto">auto's choice for generating from that model (16 MiB of matrices).</param>
public sealed record MachineInfo(
    string TorchSharpVersion,
    string LibtorchVersion,
    string Cpu,
    IReadOnlyDictionary<string, bool> Features,
    int LogicalCores,
    int Threads,
    double Fp32Gflops,
    double Bf16Gflops,
    double Fp16Gflops,
    PrecisionChoice TrainingAuto,
    PrecisionChoice GenerationAuto,
    bool CudaAvailable,
    int CudaDevices)
{
    /// <summary>The reference configuration of the benchmarks (bench/RESULTS.md).</summary>
    public static GptConfig Reference { get; } = new(VocabSize: 4096, ContextLength: 256, Depth: 4, Width: 256, Heads: 4, KvHeads: 4);

    /// <summary>Measures this machine with <paramref name="threads"/> libtorch threads (0 = all cores); about a second.</summary>
    public static MachineInfo Measure(int threads)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: threads));
        var peak = MatmulPeak.Measure(threads, fp16: true);
        var cpu = CpuInfo.Current;
        bool cuda = torch.cuda.is_available();
        return new MachineInfo(
            typeof(torch).Assembly.GetName().Version?.ToString() ?? "?",
            torch.__version__,
            cpu.Model,
            CpuInfo.Known.ToDictionary(k => k.Name, k => cpu.Has(k.Flag)),
            Environment.ProcessorCount,
            torch.get_num_threads(),
            peak.Fp32Gflops, peak.Bf16Gflops, peak.Fp16Gflops,
            ComputePrecision.ForTraining(ComputePrecision.Auto, Reference, 16 * Reference.ContextLength, threads),
            ComputePrecision.ForGeneration(ComputePrecision.Auto, Reference, () => peak),
            cuda,
            cuda ? torch.cuda.device_count() : 0);
    }
}

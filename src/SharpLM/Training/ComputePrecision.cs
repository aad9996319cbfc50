using System.Globalization;
using System.Text.Json.Serialization;
using SharpLM.Core;
using SharpLM.Model;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>The precision a run computes in, and why it was chosen (the log, metrics.jsonl, trainer_state.json and
/// the speedrun's report say it).</summary>
/// <param name="Name">fp32, bf16 or fp16.</param>
/// <param name="Reason">One line for people: "fp32: bf16 measured 0.9 GFLOP/s vs fp32 80 on this CPU".</param>
public sealed record PrecisionChoice(string Name, string Reason)
{
    [JsonIgnore] public ScalarType Type => ComputePrecision.TypeOf(Name);
    [JsonIgnore] public bool IsBf16 => Name == "bf16";
    public override string ToString() => Reason;
}

/// <summary>A timing of the same matrix product in fp32 and bf16 (bf16 paying the cast of fp32 master weights).</summary>
/// <param name="Work">What was timed, e.g. "256×192·192×768".</param>
public sealed record PrecisionTiming(string Work, double Fp32Gflops, double Bf16Gflops);

/// <summary>
/// <c>--precision auto|fp32|bf16</c> (generation also fp16): an explicit name always wins; <c>auto</c> picks bf16 only
/// where this machine measurably runs it faster than fp32 for the work at hand.
/// </summary>
/// <remarks>
/// bf16 is 3–5× faster than fp32 where the CPU has bf16 instructions (AVX512-BF16, AMX) and about 90× slower where
/// libtorch emulates it (AVX2 only), so one fixed default is wrong on one of the two. The decision is made from measured
/// throughput with a margin (<see cref="Bf16MinSpeedup"/>) far from both kinds' ratios, so the same machine makes the
/// same choice for the same model from run to run; a resumed run keeps the precision its checkpoint recorded.
/// </remarks>
public static class ComputePrecision
{
    public const string Auto = "auto";

    /// <summary>The names training verbs accept.</summary>
    public static IReadOnlyList<string> TrainingNames { get; } = [Auto, "fp32", "bf16"];

    /// <summary>The names generation accepts (fp16 weights decode one row fast but prefill slowly, and can overflow).</summary>
    public static IReadOnlyList<string> GenerationNames { get; } = [Auto, "fp32", "bf16", "fp16"];

    /// <summary>auto picks bf16 only when it is at least this much faster than fp32.</summary>
    public const double Bf16MinSpeedup = 1.25;

    /// <summary>
    /// Most rows of the model-shaped product timed for <see cref="ForTraining"/> (a micro-batch's tokens, up to this). It is
    /// only timed where bf16 is native, so it stays a few milliseconds. With 256 rows the speedrun's SwiGLU model measured
    /// 240 vs 192 GFLOP/s, right on the margin, so the choice could have differed from one run to the next.
    /// </summary>
    const int ProbeRows = 2048;

    /// <summary>
    /// Below this many bytes of fp32 matrices a decoded token streams, generation keeps fp32: fp32 decodes through the fused
    /// step (<see cref="Model.FusedDecoder"/>), which measured faster than bf16 through libtorch at every size up to
    /// 208 MiB (1.6× at 56 MiB, 1.2× at 208; <c>precision-crossover</c> in bench/RESULTS.md). Larger models were not
    /// measured; from here on auto halves the bytes streamed where bf16 is native.
    /// </summary>
    public const long GenerationHalfFromBytes = 209L << 20;

    public static ScalarType TypeOf(string name) => name switch
    {
        "fp32" => ScalarType.Float32,
        "bf16" => ScalarType.BFloat16,
        "fp16" => ScalarType.Float16,
        _ => throw new SharpLmException($"--precision must be one of {string.Join(", ", GenerationNames)} (got '{name}')"),
    };

    /// <summary>Throws a one-line error unless <paramref name="name"/> is one of <paramref name="allowed"/>.</summary>
    public static string Check(string name, IReadOnlyList<string> allowed)
    {
        SharpLmException.Require(allowed.Contains(name), "--precision",
            $"must be one of {string.Join(", ", allowed)} (got '{name}')");
        return name;
    }

    /// <summary>
    /// The training precision for <paramref name="config"/> at <paramref name="rows"/> tokens per micro-batch: measures only
    /// for auto (the square peak first; the model's own matmul shape only where bf16 is native, so start-up stays short).
    /// </summary>
    public static PrecisionChoice ForTraining(string requested, GptConfig config, int rows, int threads = 0)
    {
        Check(requested, TrainingNames);
        if (requested != Auto) return Explicit(requested);
        var peak = MatmulPeak.Measure(threads);
        if (!(peak.Bf16Gflops >= Bf16MinSpeedup * peak.Fp32Gflops)) return Decide(requested, peak, null);
        int m = Math.Min(rows, ProbeRows), k = config.Width, n = config.MlpHiddenSize;
        var (fp32, bf16) = Interleaved(
            () => MatmulPeak.Gflops(ScalarType.Float32, m, k, n, SecondsPerTiming),
            () => MatmulPeak.Gflops(ScalarType.BFloat16, m, k, n, SecondsPerTiming, castFromFp32: true));
        return Decide(requested, peak, new PrecisionTiming($"{m}×{k}·{k}×{n}", fp32, bf16));
    }

    /// <summary>Rounds of <see cref="Interleaved"/> the model's product is timed in, each precision
    /// <see cref="SecondsPerTiming"/> a round.</summary>
    public const int TimingRounds = 5;

    const double SecondsPerTiming = 0.03;

    /// <summary>
    /// The best of <paramref name="rounds"/> alternating timings of each precision. One 0.15 s timing per precision let a
    /// neighbour's burst decide: a speedrun on a loaded Zen 4 measured bf16 at 209 GFLOP/s against fp32's 178 (420 on
    /// other runs) and trained in fp32 (issue 13, seventh session). Alternating, a burst spoils a round of one precision,
    /// and another round still sees the machine as it is.
    /// </summary>
    public static (double Fp32, double Bf16) Interleaved(Func<double> fp32, Func<double> bf16, int rounds = TimingRounds)
    {
        double bestFp32 = 0, bestBf16 = 0;
        for (int round = 0; round < rounds; round++)
        {
            bestFp32 = Math.Max(bestFp32, fp32());
            bestBf16 = Math.Max(bestBf16, bf16());
        }
        return (bestFp32, bestBf16);
    }

    /// <summary>
    /// The precision of a training run: a resumed run keeps the one its checkpoint recorded (unless another is asked for
    /// explicitly), so it continues bit for bit; a new run decides (<see cref="ForTraining"/>).
    /// </summary>
    public static PrecisionChoice ForRun(string requested, TrainerState? resumed, GptConfig config, int rows, int threads)
    {
        if (resumed?.Precision is { } kept && (requested == Auto || requested == kept.Name)) return kept;
        return ForTraining(requested, config, rows, threads);
    }

    /// <summary>
    /// Rank 0's choice on every rank of a distributed job: each rank times its own matmuls, and ranks that computed in
    /// different precisions would no longer step identically.
    /// </summary>
    public static PrecisionChoice Agree(Distributed.World world, PrecisionChoice local)
    {
        if (!world.IsDistributed) return local;
        var names = GenerationNames;
        string main = names[(int)world.AllGather(IndexOf(names, local.Name))[0]];
        return main == local.Name ? local : new PrecisionChoice(main, $"{main}: rank 0's choice, for every rank");
    }

    static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        throw new ArgumentException($"unknown precision '{name}'", nameof(name));
    }

    /// <summary>The decision itself, from given measurements (unit-tested with injected figures).</summary>
    public static PrecisionChoice Decide(string requested, MatmulPeakResult peak, PrecisionTiming? model)
    {
        if (requested != Auto) return Explicit(requested);
        if (!(peak.Bf16Gflops >= Bf16MinSpeedup * peak.Fp32Gflops))
            return new("fp32", Line($"fp32: bf16 measured {peak.Bf16Gflops:G3} GFLOP/s vs fp32 {peak.Fp32Gflops:G3} on this CPU"));
        if (model is null)
            return new("bf16", Line($"bf16: measured {peak.Bf16Gflops:G3} GFLOP/s vs fp32 {peak.Fp32Gflops:G3} on this CPU"));
        return model.Bf16Gflops >= Bf16MinSpeedup * model.Fp32Gflops
            ? new("bf16", Line($"bf16: measured {model.Bf16Gflops:G3} GFLOP/s vs fp32 {model.Fp32Gflops:G3} on this ",
                               $"model's matmuls ({model.Work}) on this CPU"))
            : new("fp32", Line($"fp32: bf16 is native on this CPU ({peak.Bf16Gflops:G3} vs {peak.Fp32Gflops:G3} GFLOP/s), ",
                               $"but on this model's matmuls ({model.Work}) it measured {model.Bf16Gflops:G3} vs ",
                               $"fp32 {model.Fp32Gflops:G3}, under the {Bf16MinSpeedup}× that auto asks for"));
    }

    /// <summary>
    /// The weights' precision while generating from <paramref name="config"/>: auto keeps fp32 for models under
    /// <see cref="GenerationHalfFromBytes"/>, and otherwise takes bf16 only where bf16 matmuls are native (prompts are matrix products: where bf16
    /// is emulated a 128-token prompt of the reference model would take a second).
    /// </summary>
    public static PrecisionChoice ForGeneration(string requested, GptConfig config, Func<MatmulPeakResult> peak)
    {
        Check(requested, GenerationNames);
        if (requested != Auto) return Explicit(requested);
        long bytes = StreamedBytes(config);
        if (bytes < GenerationHalfFromBytes)
            return new("fp32", Line($"fp32: the model's matrices ({bytes / 1048576.0:F1} MiB) are under ",
                                    $"{GenerationHalfFromBytes >> 20} MiB, where the fused fp32 decode step measured faster than bf16"));
        var measured = peak();
        return measured.Bf16Gflops >= Bf16MinSpeedup * measured.Fp32Gflops
            ? new("bf16", Line($"bf16: {bytes / 1048576.0:F1} MiB of matrices, and bf16 measured ",
                               $"{measured.Bf16Gflops:G3} GFLOP/s vs fp32 {measured.Fp32Gflops:G3} on this CPU"))
            : new("fp32", Line($"fp32: bf16 measured {measured.Bf16Gflops:G3} GFLOP/s vs fp32 ",
                               $"{measured.Fp32Gflops:G3} on this CPU"));
    }

    /// <summary>Bytes of fp32 weights one decoded token reads: everything but an untied embedding (looked up, not streamed).</summary>
    public static long StreamedBytes(GptConfig config) =>
        4 * (config.ParameterCount - (config.TieEmbeddings ? 0 : (long)config.VocabSize * config.Width));

    static PrecisionChoice Explicit(string name) => new(name, $"{name}: asked for (--precision {name})");

    static string Line(params FormattableString[] parts) =>
        string.Concat(parts.Select(p => p.ToString(CultureInfo.InvariantCulture)));
}

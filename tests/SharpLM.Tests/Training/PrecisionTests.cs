using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

/// <summary>--precision: the auto decision from injected measurements (both CPU kinds), and real fp32/bf16 runs.</summary>
public sealed class PrecisionTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // Figures of the two CPU kinds this project has met: Zen 4 (AVX512-BF16) and Zen 3 (AVX2 only, bf16 emulated).
    static readonly MatmulPeakResult Zen4 = new(2, 1024, Fp32Gflops: 157, Bf16Gflops: 520);
    static readonly MatmulPeakResult Zen3 = new(2, 1024, Fp32Gflops: 79.7, Bf16Gflops: 0.9);

    [Fact]
    public void Auto_takes_fp32_where_bf16_is_emulated_and_says_so()
    {
        var choice = ComputePrecision.Decide("auto", Zen3, null);
        Assert.Equal("fp32", choice.Name);
        Assert.Equal("fp32: bf16 measured 0.9 GFLOP/s vs fp32 79.7 on this CPU", choice.Reason);
    }

    [Fact]
    public void Auto_takes_bf16_where_it_is_native_and_faster_on_the_models_own_matmuls()
    {
        var fast = ComputePrecision.Decide("auto", Zen4, new PrecisionTiming("256×192·192×768", 150, 390));
        Assert.Equal("bf16", fast.Name);
        Assert.Contains("390 GFLOP/s vs fp32 150", fast.Reason);
        Assert.Contains("256×192·192×768", fast.Reason);
        // Native bf16, but a model so small that the casts eat the gain: fp32, and the reason says both figures.
        var tiny = ComputePrecision.Decide("auto", Zen4, new PrecisionTiming("256×32·32×128", 40, 41));
        Assert.Equal("fp32", tiny.Name);
        Assert.Contains("bf16 is native", tiny.Reason);
        // The margin: bf16 must be clearly faster, so a timing wobble cannot flip the choice from run to run.
        Assert.Equal("fp32", ComputePrecision.Decide("auto", Zen4, new PrecisionTiming("w", 100, 120)).Name);
        Assert.Equal("bf16", ComputePrecision.Decide("auto", Zen4, new PrecisionTiming("w", 100, 130)).Name);
    }

    [Fact]
    public void The_models_timing_alternates_precisions_so_one_burst_of_load_cannot_decide()
    {
        // The seventh session's loaded run: one bf16 timing at 209 against fp32's 178 chose fp32. Alternating rounds keep
        // the best of each, so the round the burst spoiled does not count.
        var calls = new List<string>();
        double[] bf16 = [209, 421, 418, 420, 419], fp32 = [178, 180, 176, 181, 179];
        int i = 0, j = 0;
        var (bestFp32, bestBf16) = ComputePrecision.Interleaved(
            () => { calls.Add("fp32"); return fp32[i++]; },
            () => { calls.Add("bf16"); return bf16[j++]; });
        Assert.Equal(["fp32", "bf16", "fp32", "bf16", "fp32", "bf16", "fp32", "bf16", "fp32", "bf16"], calls);
        Assert.Equal((181.0, 421.0), (bestFp32, bestBf16));
        Assert.Equal("bf16", ComputePrecision.Decide("auto", Zen4, new PrecisionTiming("w", bestFp32, bestBf16)).Name);
        Assert.Equal("fp32", ComputePrecision.Decide("auto", Zen4, new PrecisionTiming("w", fp32[0], bf16[0])).Name);
    }

    [Fact]
    public void An_explicit_precision_always_wins_and_unknown_names_are_refused()
    {
        Assert.Equal("bf16", ComputePrecision.Decide("bf16", Zen3, null).Name);
        Assert.Equal("fp32", ComputePrecision.Decide("fp32", Zen4, new PrecisionTiming("w", 1, 100)).Name);
        Assert.Equal("bf16: asked for (--precision bf16)", ComputePrecision.Decide("bf16", Zen3, null).Reason);
        var config = new GptConfig(64, 16, 1, 32, 2, 2);
        var e = Assert.Throws<SharpLmException>(() => ComputePrecision.ForTraining("fp16", config, 64));
        Assert.Contains("--precision must be one of auto, fp32, bf16 (got 'fp16')", e.Message);
    }

    [Fact]
    public void A_resumed_run_keeps_the_precision_its_checkpoint_recorded_unless_another_is_asked_for()
    {
        var config = new GptConfig(64, 16, 1, 32, 2, 2);
        var recorded = new PrecisionChoice("bf16", "bf16: measured 500 GFLOP/s vs fp32 150 on this CPU");
        var state = new TrainerState("pretrain", 10, 0, 10, 1, new LrSchedule(1e-3, 1e-4, 0, 10, ScheduleKind.Cosine), "", "", null, 0,
            recorded);
        Assert.Same(recorded, ComputePrecision.ForRun("auto", state, config, 64, 1));
        Assert.Same(recorded, ComputePrecision.ForRun("bf16", state, config, 64, 1));
        Assert.Equal("fp32", ComputePrecision.ForRun("fp32", state, config, 64, 1).Name);
    }

    [Fact]
    public void Bf16_pretraining_learns_and_records_its_precision_and_the_reason()
    {
        var result = new Pretrainer().Run(TinyRun.Options(TinyRun.Corpus(_tmp), _tmp["run"], steps: 40) with { Precision = "bf16" });
        Assert.Equal("bf16", result.Precision.Name);
        var evals = Records("eval").Select(r => r["val_loss"]!.GetValue<double>()).ToList();
        Assert.All(evals, l => Assert.True(double.IsFinite(l)));
        Assert.True(evals[^1] < evals[0] - 0.3, $"bf16 validation loss went {evals[0]:F3} → {evals[^1]:F3}");
        var precision = Assert.Single(Records("precision"));
        Assert.Equal("bf16", precision["precision"]!.GetValue<string>());
        Assert.Equal("bf16: asked for (--precision bf16)", precision["reason"]!.GetValue<string>());
        Assert.True(precision["fp32_gflops"]!.GetValue<double>() > 0);
        Assert.Equal("bf16", TrainerState.Load(_tmp["run/model"]).Precision!.Name);
    }

    [Fact]
    public void Auto_pretraining_records_a_measured_choice()
    {
        var result = new Pretrainer().Run(TinyRun.Options(TinyRun.Corpus(_tmp), _tmp["run"], steps: 5) with { Precision = "auto" });
        Assert.Contains(result.Precision.Name, new[] { "fp32", "bf16" });
        Assert.Contains("GFLOP/s", result.Precision.Reason); // a measurement, not a default
        Assert.Equal(result.Precision, TrainerState.Load(_tmp["run/model"]).Precision);
    }

    [Fact]
    public void Cpu_features_are_read_from_proc_cpuinfo()
    {
        var cpu = CpuInfo.Parse([
            "processor\t: 0", "model name\t: AMD EPYC 7B13", "flags\t\t: fpu sse avx2 fma avx512f", "", "processor\t: 1",
            "model name\t: other", "flags\t\t: avx512_bf16",
        ]);
        Assert.Equal("AMD EPYC 7B13", cpu.Model);
        Assert.True(cpu.Has("avx2") && cpu.Has("avx512f"));
        Assert.False(cpu.Has("avx512_bf16")); // the first processor's line only
        Assert.StartsWith("AVX2 yes, FMA yes, AVX-512 yes, AVX512-BF16 no", cpu.FeatureLine);
    }

    IEnumerable<JsonObject> Records(string kind) =>
        new MetricsLog(new RunFolder(_tmp["run"]).MetricsPath).Read().Where(r => r["kind"]!.GetValue<string>() == kind);
}

using System.Diagnostics;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Bench;

/// <summary>
/// The optimizer's share of a training step on the reference model, timed directly: clip (max norm 1) + AdamW +
/// zero_grad over random gradients, for the per-parameter <see cref="InPlaceAdamW"/> with libtorch's
/// <c>clip_grad_norm_</c> and for <see cref="FlatAdamW"/>, alternating, each on its own copy of the model.
/// </summary>
public sealed class OptimizerStepBench : IBenchmark
{
    public string Name => "optimizer";
    public string Description =>
        "clip + AdamW + zero_grad on the reference model: InPlaceAdamW vs FlatAdamW [--threads N --rounds N]";

    /// <summary>InPlaceAdamW with the factory's two groups, as before FlatAdamW.</summary>
    public static AdamW InPlace(nn.Module model, double lr)
    {
        var all = model.named_parameters().Where(np => np.parameter.requires_grad).ToList();
        return new InPlaceAdamW(
        [
            new(all.Where(np => OptimizerFactory.Decays(np.name, np.parameter)).Select(np => np.parameter),
                new AdamW.Options { weight_decay = 0.1 }),
            new(all.Where(np => !OptimizerFactory.Decays(np.name, np.parameter)).Select(np => np.parameter),
                new AdamW.Options { weight_decay = 0.0 }),
        ], lr, 0.9, 0.95, 1e-8, 0.1);
    }

    public int Run(string[] args)
    {
        int threads = int.Parse(Machine.Arg(args, "--threads", "2"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(Machine.Arg(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        Console.WriteLine($"load average before: {Machine.LoadAverage()}; {Machine.CpuLine()}");
        Machine.PinOpenMpThreads();
        TorchRuntime.Apply(new TorchSettings(threads, Seed: 1337));
        var config = MachineInfo.Reference;
        using var perParameter = new Gpt(config);
        using var flatModel = new Gpt(config);
        using var inPlace = InPlace(perParameter, 3e-3);
        using var flat = OptimizerFactory.AdamW(flatModel, new AdamWSettings(Lr: 3e-3));
        var perParameterList = perParameter.parameters().ToList();
        var flatList = flatModel.parameters().ToList();
        // Fastest of 10 of each phase: clip (max norm 1), AdamW step, zero_grad.
        (double Clip, double Step, double Zero) Time(IReadOnlyList<Parameter> ps, Action clip, OptimizerHelper optimizer)
        {
            double bestClip = double.MaxValue, bestStep = double.MaxValue, bestZero = double.MaxValue;
            for (int i = 0; i < 10; i++)
            {
                using (no_grad())
                    foreach (var p in ps)          // written into the gradients in place: global norm ~7, clipped
                    {
                        using var noise = randn_like(p).mul_(0.01);
                        using var g = p.grad;
                        if (g is null) p.grad = noise.clone(); else g.copy_(noise);
                    }
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                clip();
                bestClip = Math.Min(bestClip, clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                optimizer.step();
                bestStep = Math.Min(bestStep, clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                optimizer.zero_grad();
                bestZero = Math.Min(bestZero, clock.Elapsed.TotalMilliseconds);
            }
            return (bestClip, bestStep, bestZero);
        }
        for (int r = 0; r < rounds; r++)
        {
            var a = Time(perParameterList, () => nn.utils.clip_grad_norm_(perParameterList, 1.0), inPlace);
            var b = Time(flatList, () => ((FlatAdamW)flat).ClipGradNorm(1.0), flat);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {r + 1}, fastest of 10 (clip + step + zero_grad = sum): " +
                $"InPlaceAdamW {a.Clip:F2} + {a.Step:F2} + {a.Zero:F2} = {a.Clip + a.Step + a.Zero:F1} ms, " +
                $"FlatAdamW {b.Clip:F2} + {b.Step:F2} + {b.Zero:F2} = {b.Clip + b.Step + b.Zero:F1} ms"));
        }
        Console.WriteLine(
            $"{config.ParameterCount:N0} parameters, {threads} thread(s); load average after: {Machine.LoadAverage()}");
        return 0;
    }
}

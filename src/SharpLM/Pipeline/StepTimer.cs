using System.Diagnostics;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Pipeline;

/// <summary>
/// Times a few pretraining steps of a throwaway model of the given configuration on random tokens, so a stage's step count
/// (and with it the learning-rate schedule) can be sized to its time share on this machine, as loaded as it is now. The
/// matmul peak alone misjudged it several-fold on a shared machine.
/// </summary>
public static class StepTimer
{
    /// <summary>
    /// The fastest of <paramref name="steps"/> optimizer steps (after <paramref name="warmup"/>) at <paramref name="batch"/> rows of
    /// the full context. The fastest, because a median of three still ran ~30% slower than the real run's steady state.
    /// </summary>
    public static double SecondsPerStep(GptConfig config, int batch, ScalarType compute, int warmup = 2, int steps = 4)
    {
        using var model = new Gpt(config);
        model.ComputeType = compute;
        model.train();
        using var optimizer = OptimizerFactory.AdamW(model, new AdamWSettings(1e-4, 0.9, 0.95, 1e-8, 0.0));
        var runner = new StepRunner(model, optimizer, new LrSchedule(1e-4, 1e-4, 0, warmup + steps, ScheduleKind.Cosine));
        var times = new List<double>();
        for (int s = 0; s < warmup + steps; s++)
        {
            var clock = Stopwatch.StartNew();
            runner.Step(s, 1, _ =>
            {
                var x = randint(config.VocabSize, [batch, config.ContextLength]);                   // (B, T)
                return model.Loss(x, x.roll(-1, 1));
            });
            if (s >= warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        return times.Min();
    }
}

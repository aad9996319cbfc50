using System.Diagnostics;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SharpLM.Tests.Training;

public class StepRunnerTests(ITestOutputHelper output)
{
    [Fact]
    public void Masked_targets_are_ignored_by_the_loss_and_get_no_gradient()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 3));
        var logits = randn(1, 4, 5).requires_grad_(true);                        // (B, T, V)
        var targets = tensor(new long[] { 2, Gpt.IgnoreIndex, 4, Gpt.IgnoreIndex }).reshape(1, 4);
        var loss = Gpt.CrossEntropy(logits, targets);
        var kept = Gpt.CrossEntropy(logits.detach().index_select(1, tensor(new long[] { 0, 2 })), tensor(new long[] { 2, 4 }).reshape(1, 2));
        Assert.Equal(kept.item<float>(), loss.item<float>());
        loss.backward();
        Assert.True(logits.grad!.select(1, 1).eq(0).all().item<bool>());
        Assert.True(logits.grad!.select(1, 3).eq(0).all().item<bool>());
        Assert.False(logits.grad!.select(1, 0).eq(0).all().item<bool>());
    }

    [Fact]
    public void Memory_stays_flat_over_200_steps()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 1));
        // Big enough (~0.5M parameters) that a per-step leak of optimizer temporaries would show as tens of MB.
        using var model = new Gpt(new GptConfig(VocabSize: 64, ContextLength: 16, Depth: 2, Width: 128, Heads: 2, KvHeads: 2));
        using var adamw = OptimizerFactory.AdamW(model, new AdamWSettings());
        var runner = new StepRunner(model, adamw, new LrSchedule(1e-3, 1e-4, 10, 200));
        var x = randint(0, 64, [4, 16]);
        var y = randint(0, 64, [4, 16]);
        long Rss()
        {
            using var self = Process.GetCurrentProcess();
            return self.WorkingSet64;
        }
        long after50 = 0;
        for (int step = 0; step < 200; step++)
        {
            runner.Step(step, 1, _ => model.Loss(x, y));
            if (step == 49) { GC.Collect(); after50 = Rss(); }
        }
        GC.Collect();
        long growth = Rss() - after50;
        output.WriteLine($"RSS after step 50: {after50 / 1e6:F1} MB; growth over steps 50-200: {growth / 1e6:F1} MB");
        Assert.True(growth < 30_000_000, $"RSS grew {growth / 1e6:F1} MB over 150 steps");
    }
}

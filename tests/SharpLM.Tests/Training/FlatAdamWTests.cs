using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Tests.Training;

/// <summary>
/// The flat AdamW takes the same steps as <see cref="InPlaceAdamW"/> (weight decay in one group, none in the other),
/// clipping included, on loose parameters and on a model trained through <see cref="StepRunner"/>.
/// </summary>
public class FlatAdamWTests
{
    static AdamW.ParamGroup[] Groups(Parameter[] p) =>
    [
        new(p.Where(x => x.dim() >= 2), new AdamW.Options { weight_decay = 0.1 }),
        new(p.Where(x => x.dim() < 2), new AdamW.Options { weight_decay = 0.0 }),
    ];

    static Parameter[] Copies(Tensor[] values) => values.Select(v => new Parameter(v.clone())).ToArray();

    /// <summary>One step with gradients assigned (replacing, not written into, the flat views), then zero_grad.</summary>
    static void Step(OptimizerHelper optimizer, Parameter[] parameters, Tensor[] grads)
    {
        for (int i = 0; i < parameters.Length; i++) parameters[i].grad = grads[i].clone();
        optimizer.step();
        optimizer.zero_grad();
    }

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double diff = (expected - actual).abs().max().item<float>(), scale = expected.abs().max().item<float>();
        Assert.True(diff <= 4e-7 * Math.Max(1, scale), $"{what} differs by {diff:G3} (largest value {scale:G3})");
    }

    [Fact]
    public void Steps_and_clipping_match_InPlaceAdamW()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 3));
        using var scope = NewDisposeScope();
        // Sizes with vector tails and more than one part per thread split; a norm-like vector in the undecayed group.
        var start = new[] { randn(67, 33), randn(37), randn(129, 65), randn(5) };
        var (mine, theirs) = (Copies(start), Copies(start));
        using var flat = new FlatAdamW(Groups(mine), 0.01, 0.9, 0.95, 1e-8, 0.1);
        using var reference = new InPlaceAdamW(Groups(theirs), 0.01, 0.9, 0.95, 1e-8, 0.1);
        Assert.Equal(start.Sum(s => s.numel()), flat.Elements);
        for (int step = 0; step < 8; step++)
        {
            foreach (var g in flat.ParamGroups) g.LearningRate = 0.01 * (step + 1) / 8;   // a schedule, as StepRunner sets it
            foreach (var g in reference.ParamGroups) g.LearningRate = 0.01 * (step + 1) / 8;
            var grads = start.Select(s => randn_like(s) * (step % 2 == 0 ? 0.1 : 10)).ToArray();   // clipped every other step
            for (int i = 0; i < grads.Length; i++)
            {
                mine[i].grad!.copy_(grads[i]);          // the flat gradients exist from the start, as views
                theirs[i].grad = grads[i].clone();
            }
            double norm = flat.ClipGradNorm(1.0);
            double expectedNorm = nn.utils.clip_grad_norm_(theirs, 1.0);
            Assert.Equal(expectedNorm, norm, expectedNorm * 1e-5);
            for (int i = 0; i < grads.Length; i++) AssertClose(theirs[i].grad!, mine[i].grad!, $"step {step} gradient {i}");
            flat.step();
            reference.step();
            flat.zero_grad();
            Assert.True(mine.All(p => p.grad!.eq(0).all().item<bool>()));
        }
        for (int i = 0; i < start.Length; i++)
        {
            Assert.False(mine[i].allclose(start[i]));                             // the parameters moved
            AssertClose(theirs[i], mine[i], $"parameter {i}");
        }
    }

    [Fact]
    public void A_model_trains_as_with_InPlaceAdamW_and_its_parameters_live_in_the_buffer()
    {
        var config = new GptConfig(VocabSize: 50, ContextLength: 16, Depth: 2, Width: 64, Heads: 2, KvHeads: 2);
        (float[] Losses, Tensor[] Weights) Train(bool flat)
        {
            TorchRuntime.Apply(new TorchSettings(Threads: 2, Seed: 7));
            using var model = new Gpt(config);
            using var adamw = flat
                ? OptimizerFactory.AdamW(model, new AdamWSettings(3e-3, WeightDecay: 0.1))
                : new InPlaceAdamW(FactoryGroups(model), 3e-3, 0.9, 0.95, 1e-8, 0.1);
            Assert.Equal(flat, adamw is FlatAdamW);
            var runner = new StepRunner(model, adamw, new LrSchedule(3e-3, 3e-4, 2, 12), gradClip: 0.5);
            var x = randint(0, 50, [4, 16]);
            var y = randint(0, 50, [4, 16]);
            var losses = Enumerable.Range(0, 12).Select(s => (float)runner.Step(s, 2, _ => model.Loss(x, y)).Loss).ToArray();
            return (losses, model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray());
        }
        var (flatLosses, flatWeights) = Train(flat: true);
        var (losses, weights) = Train(flat: false);
        for (int s = 0; s < losses.Length; s++) Assert.Equal(losses[s], flatLosses[s], 1e-5);
        Assert.True(losses[^1] < losses[0] - 0.1, $"loss {losses[0]} → {losses[^1]}");
        for (int i = 0; i < weights.Length; i++) AssertClose(weights[i], flatWeights[i], $"parameter {i}");
    }

    static AdamW.ParamGroup[] FactoryGroups(Gpt model)
    {
        var all = model.named_parameters().ToList();
        return
        [
            new(all.Where(np => OptimizerFactory.Decays(np.name, np.parameter)).Select(np => np.parameter),
                new AdamW.Options { weight_decay = 0.1 }),
            new(all.Where(np => !OptimizerFactory.Decays(np.name, np.parameter)).Select(np => np.parameter),
                new AdamW.Options { weight_decay = 0.0 }),
        ];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_saved_state_resumes_the_same_steps_and_replaced_gradients_are_taken_in(bool savedByInPlaceAdamW)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 5));
        using var scope = NewDisposeScope();
        var start = new[] { randn(9, 7), randn(7) };
        var (first, second) = (Copies(start), Copies(start));
        using AdamW a = savedByInPlaceAdamW
            ? new InPlaceAdamW(Groups(first), 0.01, 0.9, 0.95, 1e-8, 0.1)
            : new FlatAdamW(Groups(first), 0.01, 0.9, 0.95, 1e-8, 0.1);
        var grads = Enumerable.Range(0, 6).Select(_ => start.Select(s => randn_like(s)).ToArray()).ToArray();
        for (int s = 0; s < 3; s++) Step(a, first, grads[s]);
        using var tmp = new TempDir();
        a.save_state_dict(tmp["adamw.bin"]);
        using (no_grad()) for (int i = 0; i < start.Length; i++) second[i].copy_(first[i]);
        using var b = new FlatAdamW(Groups(second), 0.01, 0.9, 0.95, 1e-8, 0.1);
        OptimizerStateFile.Load(b, tmp["adamw.bin"]);      // another class's file: loaded through the renamed header
        for (int s = 3; s < 6; s++) { Step(a, first, grads[s]); Step(b, second, grads[s]); }
        for (int i = 0; i < start.Length; i++) AssertClose(first[i], second[i], $"parameter {i} after resuming");
        Assert.False(first[0].allclose(start[0]));
    }

    [Fact]
    public void A_state_file_of_another_optimizer_is_refused_with_its_path()
    {
        using var scope = NewDisposeScope();
        var start = new[] { randn(9, 7), randn(7) };
        using var flat = new FlatAdamW(Groups(Copies(start)), 0.01, 0.9, 0.95, 1e-8, 0.1);
        using var sgd = optim.SGD(Copies(start), 0.1);
        using var tmp = new TempDir();
        sgd.save_state_dict(tmp["sgd.bin"]);
        var e = Assert.Throws<SharpLmException>(() => OptimizerStateFile.Load(flat, tmp["sgd.bin"]));
        Assert.Contains("sgd.bin", e.Message);
    }
}

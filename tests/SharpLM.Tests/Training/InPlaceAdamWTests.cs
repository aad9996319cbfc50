using SharpLM.Core;
using SharpLM.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Tests.Training;

/// <summary>The in-place AdamW takes the same steps as TorchSharp's AdamW (weight decay in one group, none in the other).</summary>
public class InPlaceAdamWTests
{
    [Fact]
    public void Steps_match_TorchSharp_AdamW()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 3));
        using var scope = NewDisposeScope();
        Parameter[] Copy(Tensor[] values) => values.Select(v => new Parameter(v.clone())).ToArray();
        var start = new[] { randn(5, 4), randn(4) };
        var (mine, theirs) = (Copy(start), Copy(start));
        AdamW.ParamGroup[] Groups(Parameter[] p) =>
        [
            new(p.Take(1), new AdamW.Options { weight_decay = 0.1 }),
            new(p.Skip(1), new AdamW.Options { weight_decay = 0.0 }),
        ];
        using var inPlace = new InPlaceAdamW(Groups(mine), 0.01, 0.9, 0.95, 1e-8, 0.1);
        using var reference = optim.AdamW(Groups(theirs), 0.01, 0.9, 0.95, 1e-8, 0.1);
        for (int step = 0; step < 4; step++)
        {
            var grads = start.Select(s => randn_like(s)).ToArray();
            for (int i = 0; i < grads.Length; i++) { mine[i].grad = grads[i].clone(); theirs[i].grad = grads[i].clone(); }
            inPlace.step();
            reference.step();
        }
        for (int i = 0; i < start.Length; i++)
        {
            Assert.False(mine[i].allclose(start[i]));                             // the parameters moved
            Assert.True(mine[i].allclose(theirs[i], rtol: 0, atol: 1e-7), $"parameter {i} differs");
        }
    }
}

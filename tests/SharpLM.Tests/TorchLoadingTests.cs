using SharpLM.Core;
using TorchSharp;

namespace SharpLM.Tests;

public class TorchLoadingTests
{
    [Fact]
    public void Libtorch_loads_and_computes_a_matrix_product()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1));
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var c = torch.mm(a, b);
        Assert.Equal(new long[] { 2, 4 }, c.shape);
        Assert.Equal(3f, c[1, 2].item<float>());
    }

    [Fact]
    public void Unknown_device_is_a_clear_error()
    {
        var e = Assert.Throws<SharpLmException>(() => TorchRuntime.ParseDevice("tpu"));
        Assert.Contains("tpu", e.Message);
    }
}

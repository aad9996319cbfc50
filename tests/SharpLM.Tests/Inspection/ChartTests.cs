using System.Buffers.Binary;
using SharpLM.Inspection;

namespace SharpLM.Tests.Inspection;

public class ChartTests
{
    static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the PNG signature and reads width and height from the IHDR chunk that must follow it.</summary>
    static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal("IHDR"u8.ToArray(), bytes[12..16]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [Fact]
    public void Charts_are_valid_pngs_of_the_expected_size()
    {
        using var dir = new TempDir();
        using var inspector = TinyModels.Inspector(seed: 21);
        var attention = inspector.Attention("the cat sat because it was tired.", layer: 1, focus: "it");
        Charts.Attention(attention, layer: 1, head: null, dir["grid.png"]);
        Charts.Attention(attention, layer: 1, head: 2, dir["head.png"], cellWidth: 500, cellHeight: 450);
        Charts.Context(inspector.Context("苹果", ["我爱吃苹果。", "苹果公司发布了新手机。", "the cat 苹果"]), dir["context.png"]);
        Charts.Next(inspector.Next("我爱吃苹", top: 6), dir["next.png"], width: 700, height: 400);

        Assert.Equal((2 * 600, 2 * 560), PngSize(dir["grid.png"]));                  // four heads in a 2×2 grid
        Assert.Equal((500, 450), PngSize(dir["head.png"]));
        Assert.Equal((800, 500), PngSize(dir["context.png"]));
        Assert.Equal((700, 400), PngSize(dir["next.png"]));
    }

    [Fact]
    public void Asking_for_a_head_or_layer_the_report_lacks_is_a_clear_error()
    {
        using var dir = new TempDir();
        using var inspector = TinyModels.Inspector(seed: 22);
        var attention = inspector.Attention("the cat", layer: 0);
        var e = Assert.Throws<SharpLM.Core.SharpLmException>(() => Charts.Attention(attention, 0, head: 4, dir["x.png"]));
        Assert.Contains("--head 4", e.Message);
        Assert.Throws<SharpLM.Core.SharpLmException>(() => Charts.Attention(attention, 1, head: null, dir["x.png"]));
        Assert.False(File.Exists(dir["x.png"]));
    }
}

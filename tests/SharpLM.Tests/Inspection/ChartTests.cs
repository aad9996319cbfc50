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
        Charts.Tokens(inspector.Tokens("我爱吃苹果。"), dir["tokens.png"]);
        Charts.Embedding(inspector.Embedding("果", top: 5), dir["embedding.png"], width: 600, height: 300);

        Assert.Equal((2 * 600, 2 * 560), PngSize(dir["grid.png"]));                  // four heads in a 2×2 grid
        Assert.Equal((500, 450), PngSize(dir["head.png"]));
        Assert.Equal((800, 500), PngSize(dir["context.png"]));
        Assert.Equal((700, 400), PngSize(dir["next.png"]));
        Assert.Equal((900, 420), PngSize(dir["tokens.png"]));
        Assert.Equal((600, 300), PngSize(dir["embedding.png"]));
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

    [Fact]
    public void Files_without_chinese_glyphs_are_not_taken_as_a_cjk_font()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["broken.ttf"], [0, 1, 0, 0, 0, 0]);
        Assert.Null(ChartFont.FirstWithChineseGlyphs([dir["missing.ttc"], dir["broken.ttf"]]));
    }

    [Fact]
    public void The_cjk_font_is_drawn_with_a_line_height_bounding_box_so_labels_do_not_drift()
    {
        // CI installs fonts-noto-cjk; without a CJK font charts fall back to ids and there is nothing to patch.
        if (ChartFont.CjkFontFile is not { } file) return;
        using var original = SkiaSharp.SKTypeface.FromFile(file);
        using var patched = ChartFont.Load(file)!;
        using var before = new SkiaSharp.SKFont(original, 100);
        using var after = new SkiaSharp.SKFont(patched, 100);
        Assert.True(before.Metrics.Bottom > before.Metrics.Descent + 1);              // the problem: a box taller than the text
        Assert.Equal(after.Metrics.Descent, after.Metrics.Bottom, 1);
        Assert.Equal(after.Metrics.Ascent, after.Metrics.Top, 1);
        Assert.True(patched.ContainsGlyph('苹'));
    }
}

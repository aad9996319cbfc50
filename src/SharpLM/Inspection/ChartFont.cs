using System.Diagnostics;
using SkiaSharp;

namespace SharpLM.Inspection;

/// <summary>
/// Finds a font that renders Chinese (Noto CJK from Debian's fonts-noto-cjk, or whatever fontconfig knows) and registers it
/// with ScottPlot. Without one, charts label tokens that need it by id and <see cref="Note"/> says why.
/// </summary>
public static class ChartFont
{
    const string Name = "SharpLM CJK";
    static readonly Lazy<(string File, SKTypeface Typeface)?> Registered = new(Register);

    static readonly string[] KnownFiles =
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/System/Library/Fonts/PingFang.ttc",
        @"C:\Windows\Fonts\msyh.ttc",
    ];

    /// <summary>The registered font's name, or null when no font with Chinese glyphs exists on this machine.</summary>
    public static string? CjkFont => Registered.Value is null ? null : Name;

    /// <summary>Said once beside a chart when labels fall back to ids.</summary>
    public const string Note = "no font with Chinese glyphs found (install fonts-noto-cjk): tokens the chart font cannot draw are labelled by id";

    /// <summary>True when the chart font (the CJK one, else ScottPlot's default) has a glyph for every character of <paramref name="text"/>.</summary>
    public static bool CanDraw(string text) =>
        (Registered.Value?.Typeface ?? ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, false, false)).ContainsGlyphs(text);

    /// <summary>The CJK font file charts use (its bounding box patched in memory), or null.</summary>
    public static string? CjkFontFile => Registered.Value?.File;

    /// <summary>The first existing font file among <paramref name="files"/> that has Chinese glyphs, or null.</summary>
    public static string? FirstWithChineseGlyphs(IEnumerable<string> files) =>
        files.Where(File.Exists).FirstOrDefault(file =>
        {
            using var probe = SKTypeface.FromFile(file);
            return probe is not null && probe.ContainsGlyph('中');
        });

    /// <summary>The CJK typeface as charts draw with it: line-height bounding box, see <see cref="WithTextBoundingBox"/>.</summary>
    public static SKTypeface? Load(string file) => SKTypeface.FromData(SKData.CreateCopy(WithTextBoundingBox(File.ReadAllBytes(file))));

    static (string File, SKTypeface Typeface)? Register()
    {
        var file = FirstWithChineseGlyphs(KnownFiles.Concat(FontconfigFiles()));
        if (file is null || Load(file) is not { } typeface) return null;
        ScottPlot.Fonts.FontResolvers.Add(new Resolver(typeface));
        return (file, typeface);
    }

    /// <summary>
    /// CJK fonts declare a glyph bounding box far taller than their text (Noto Sans CJK: 1.81 em up, 1.05 em down), and
    /// ScottPlot places labels by that box, so every label drifts by half a line. Setting the first face's head.yMin/yMax
    /// to the line's ascender/descender (hhea) makes labels sit where Latin ones do. Glyph outlines are untouched.
    /// </summary>
    static byte[] WithTextBoundingBox(byte[] font)
    {
        int face = font.AsSpan(0, 4).SequenceEqual("ttcf"u8) ? ReadInt32(font, 12) : 0;  // first face of a collection
        int tables = ReadUInt16(font, face + 4);
        int head = -1, hhea = -1;
        for (int i = 0; i < tables; i++)
        {
            int record = face + 12 + 16 * i;
            var tag = System.Text.Encoding.ASCII.GetString(font, record, 4);
            if (tag == "head") head = ReadInt32(font, record + 8);
            if (tag == "hhea") hhea = ReadInt32(font, record + 8);
        }
        if (head < 0 || hhea < 0) return font;
        // hhea: ascender at 4, descender at 6; head: yMin at 38, yMax at 42 (big-endian int16).
        Array.Copy(font, hhea + 6, font, head + 38, 2);
        Array.Copy(font, hhea + 4, font, head + 42, 2);
        return font;
    }

    static int ReadUInt16(byte[] b, int at) => b[at] << 8 | b[at + 1];
    static int ReadInt32(byte[] b, int at) => b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3];

    sealed class Resolver(SKTypeface typeface) : ScottPlot.IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => fontName == Name ? typeface : null;

        public SKTypeface? CreateTypeface(string fontName, ScottPlot.FontWeight weight, ScottPlot.FontSlant slant, ScottPlot.FontSpacing spacing) =>
            fontName == Name ? typeface : null;
    }

    static IEnumerable<string> FontconfigFiles()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("fc-list", "--format=%{file}\\n :lang=zh")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null) return [];
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return []; // no fontconfig on this machine
        }
    }
}

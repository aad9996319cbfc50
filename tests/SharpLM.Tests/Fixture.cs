using System.IO.Compression;

namespace SharpLM.Tests;

/// <summary>The hand-written record files under tests/SharpLM.Tests/Fixtures (copied beside the test assembly).</summary>
public static class Fixture
{
    public static string Path(string relative) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", relative);

    /// <summary>A gzipped copy of fixture <paramref name="relative"/> in <paramref name="dir"/> (name + ".gz").</summary>
    public static string Gzipped(TempDir dir, string relative)
    {
        var target = dir[System.IO.Path.GetFileName(relative) + ".gz"];
        using var input = File.OpenRead(Path(relative));
        using var gz = new GZipStream(File.Create(target), CompressionLevel.Fastest);
        input.CopyTo(gz);
        return target;
    }
}

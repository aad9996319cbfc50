namespace SharpLM.Tests;

/// <summary>
/// Locates ../shared/data (the public datasets laid beside the checkout, also in CI) by walking up from the test assembly.
/// Tests that need it fail with a clear message when it is absent rather than silently passing.
/// </summary>
public static class SharedData
{
    static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"shared/data not found in any folder above {AppContext.BaseDirectory}");
    });

    /// <summary>Full path of a file or folder under shared/data, e.g. ("pretrain", "en", "tinyshakespeare.txt").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);
}

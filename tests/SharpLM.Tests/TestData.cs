namespace SharpLM.Tests;

/// <summary>Locates the shared corpus (../shared/data from the repository root) by walking up from the test assembly.</summary>
public static class TestData
{
    public static string SharedData { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([SharedData, .. parts]);

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException(
            $"shared/data not found above {AppContext.BaseDirectory}; the tests need the shared corpus at ../shared/data relative to the repository root");
    }
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sharplm-test-").FullName;

    public string File(string name, string? content = null)
    {
        var path = System.IO.Path.Combine(Path, name);
        if (content is not null) System.IO.File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

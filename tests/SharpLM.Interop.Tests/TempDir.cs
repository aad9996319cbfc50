namespace SharpLM.Interop.Tests;

/// <summary>A fresh temporary folder, deleted when disposed.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sharplm-test-" + Guid.NewGuid().ToString("N"));

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>The path of <paramref name="name"/> inside the folder, written with <paramref name="content"/> when given.</summary>
    public string File(string name, string? content = null)
    {
        var path = this[name];
        if (content is not null) System.IO.File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

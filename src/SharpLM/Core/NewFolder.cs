namespace SharpLM.Core;

/// <summary>
/// An output folder a command creates: removed again when the command fails before <see cref="Keep"/>, so a rejected
/// command (bad data found while reading it, a model that does not fit) leaves nothing behind. A folder that existed
/// before is never removed.
/// </summary>
public sealed class NewFolder : IDisposable
{
    readonly bool _existed;
    bool _kept;

    public NewFolder(string path)
    {
        Path = path;
        _existed = Directory.Exists(path);
        Directory.CreateDirectory(path);
    }

    public string Path { get; }

    /// <summary>From here on the folder holds real output (the first step is about to run) and stays whatever happens.</summary>
    public void Keep() => _kept = true;

    public void Dispose()
    {
        if (_kept || _existed || !Directory.Exists(Path)) return;
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { } // best effort: the error that got us here is the one to report
        catch (UnauthorizedAccessException) { }
    }
}

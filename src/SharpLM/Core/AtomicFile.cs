using System.Text;

namespace SharpLM.Core;

/// <summary>Writes files and folders so that a reader sees either the old content or the new, never half of it.</summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = TempSibling(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes through a stream callback to a temp file, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var tmp = TempSibling(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// Builds a folder in a temporary sibling and renames it into place. If <paramref name="fill"/> throws, nothing is left
    /// behind; an existing folder at <paramref name="dir"/> is replaced only after the new one is complete. The old folder
    /// is parked under a fixed name between the two renames, so a process killed right there loses nothing:
    /// <see cref="Recover"/> (called here and by readers) puts it back.
    /// </summary>
    public static void WriteDirectory(string dir, Action<string> fill)
    {
        dir = Path.GetFullPath(dir);
        var parent = Path.GetDirectoryName(dir) ?? throw new SharpLmException($"{dir}: cannot write to a root folder");
        Directory.CreateDirectory(parent);
        Recover(dir);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(dir)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var old = ParkedName(dir);
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            if (Directory.Exists(dir)) Directory.Move(dir, old);
            Directory.Move(tmp, dir);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            Recover(dir);
            throw;
        }
    }

    /// <summary>Restores a folder that a killed <see cref="WriteDirectory"/> had parked and not yet replaced.</summary>
    public static void Recover(string dir)
    {
        dir = Path.GetFullPath(dir);
        var old = ParkedName(dir);
        if (!Directory.Exists(dir) && Directory.Exists(old)) Directory.Move(old, dir);
    }

    static string ParkedName(string fullDir) =>
        Path.Combine(Path.GetDirectoryName(fullDir)!, $".{Path.GetFileName(fullDir)}.old");

    static string TempSibling(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }
}

using System.Text;
using System.Text.Json.Nodes;

namespace SharpLM.Serving;

/// <summary>
/// The preference file the arena appends to: one JSON record per line, each written whole in one write under a lock and
/// flushed to disk before the vote is acknowledged, so a crash or Ctrl+C never leaves a torn line. Records with a decisive
/// verdict carry prompt/chosen/rejected, which <c>reward train</c> and <c>dpo</c> read as they are; tie and both-bad
/// records carry no chosen/rejected and the reader skips them (see <see cref="Data.PreferenceReader"/>).
/// </summary>
public sealed class FeedbackLog(string path)
{
    readonly Lock _gate = new();

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public void Append(JsonObject record)
    {
        var line = Encoding.UTF8.GetBytes(record.ToJsonString() + "\n");
        lock (_gate)
        {
            var dir = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(line);
            stream.Flush(flushToDisk: true);
        }
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpLM.Training;

/// <summary>
/// metrics.jsonl in a run folder: one JSON object per line, appended and flushed as training goes, so a crash loses at most
/// the line being written. Each record carries "kind" ("train", "eval"…) and "step"; the rest is free-form.
/// </summary>
public sealed class MetricsLog(string path)
{
    public const string FileName = "metrics.jsonl";

    public string Path { get; } = path;

    /// <summary>Appends one record (kind and step first, then <paramref name="fields"/>).</summary>
    public void Append(string kind, long step, IEnumerable<KeyValuePair<string, JsonNode?>> fields)
    {
        var record = new JsonObject { ["kind"] = kind, ["step"] = step };
        foreach (var (key, value) in fields) record[key] = value;
        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new StreamWriter(stream);
        writer.WriteLine(record.ToJsonString());
    }

    /// <summary>Reads every complete record; a torn last line (killed mid-write) is skipped.</summary>
    public IEnumerable<JsonObject> Read()
    {
        if (!File.Exists(Path)) yield break;
        foreach (var line in File.ReadLines(Path))
        {
            JsonObject? record = null;
            try { record = JsonNode.Parse(line)?.AsObject(); }
            catch (JsonException) { }
            if (record is not null) yield return record;
        }
    }

    /// <summary>Drops records after <paramref name="step"/> (used on resume, so metrics replay exactly once).</summary>
    public void TruncateAfter(long step)
    {
        if (!File.Exists(Path)) return;
        var kept = Read().Where(r => (r["step"]?.GetValue<long>() ?? 0) <= step).Select(r => r.ToJsonString());
        Core.AtomicFile.WriteAllText(Path, string.Concat(kept.Select(l => l + "\n")));
    }
}

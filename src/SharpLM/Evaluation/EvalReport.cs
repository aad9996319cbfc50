using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLM.Core;

namespace SharpLM.Evaluation;

/// <summary>
/// The result of one task on one model, as printed and as saved (eval/&lt;task&gt;.json in the model's run folder).
/// <paramref name="Metrics"/> holds accuracy (and accuracy_per_byte, random_chance) or loss and bits_per_byte.
/// </summary>
public sealed record EvalReport(
    string Task,
    string Kind,
    string Source,
    string Model,
    int Items,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<GenerativeSample>? Samples,
    double Seconds,
    string CreatedUtc)
{
    public const string FolderName = "eval";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <c>eval/&lt;task&gt;.json</c> under <paramref name="runDir"/> atomically and returns its path.</summary>
    public string Save(string runDir)
    {
        var path = Path.Combine(runDir, FolderName, $"{Task}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
        return path;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

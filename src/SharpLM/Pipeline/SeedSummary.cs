using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SharpLM.Core;

namespace SharpLM.Pipeline;

/// <summary>
/// seeds.md and seeds.json for <c>speedrun --seeds N</c>: every report.json figure's mean, standard deviation, minimum and
/// maximum over the seeds, and how many seeds met each target.
/// </summary>
public static class SeedSummary
{
    public const string FileName = "seeds.md", JsonFileName = "seeds.json";

    public static string Write(string dir, IReadOnlyList<string> reports)
    {
        var docs = reports.Select(r => JsonNode.Parse(File.ReadAllText(r))!).ToList();
        var values = new SortedDictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var doc in docs)
            foreach (var (stage, langs) in doc["stages"]!.AsObject())
                foreach (var (lang, metrics) in langs!.AsObject())
                    foreach (var (metric, v) in metrics!.AsObject())
                    {
                        var value = v is JsonObject o ? o["value"] : v;
                        if (value is null) continue;
                        var key = $"{stage}.{lang}.{metric}";
                        if (!values.TryGetValue(key, out var list)) values[key] = list = [];
                        list.Add(value.GetValue<double>());
                    }
        var met = docs.SelectMany(d => d["targets"]!.AsArray()).GroupBy(t => $"{t!["stage"]} {t["language"]}: {t["target"]}")
            .ToDictionary(g => g.Key, g => (Met: g.Count(t => t!["met"]!.GetValue<bool>()), Runs: g.Count()));

        var json = new JsonObject
        {
            ["seeds"] = new JsonArray([.. docs.Select(d => (JsonNode?)d["seed"]!.GetValue<int>())]),
            ["figures"] = new JsonObject([.. values.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Stats(kv.Value)))]),
            ["targets"] = new JsonObject([.. met.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject { ["met"] = kv.Value.Met, ["runs"] = kv.Value.Runs }))]),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, JsonFileName), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");

        var md = new StringBuilder().AppendLine($"# Speedrun over {docs.Count} seeds").AppendLine();
        md.AppendLine("| figure | mean | sd | min | max |").AppendLine("|---|---|---|---|---|");
        foreach (var (key, list) in values)
        {
            var s = Stats(list);
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {key} | {s["mean"]!.GetValue<double>():F3} | {s["sd"]!.GetValue<double>():F3} | {s["min"]!.GetValue<double>():F3} | {s["max"]!.GetValue<double>():F3} |"));
        }
        md.AppendLine().AppendLine("| target | seeds met |").AppendLine("|---|---|");
        foreach (var (key, (m, runs)) in met) md.AppendLine($"| {key} | {m} of {runs} |");
        var path = Path.Combine(dir, FileName);
        AtomicFile.WriteAllText(path, md.ToString());
        return path;
    }

    static JsonObject Stats(List<double> v)
    {
        double mean = v.Average();
        double sd = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return new JsonObject { ["mean"] = mean, ["sd"] = sd, ["min"] = v.Min(), ["max"] = v.Max(), ["n"] = v.Count };
    }
}

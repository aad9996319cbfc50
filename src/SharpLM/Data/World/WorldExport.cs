using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;

namespace SharpLM.Data.World;

/// <summary>One row of the export summary: how many items (and characters) a set holds in one language.</summary>
public sealed record WorldSetCount(string Set, string Language, int Items, long Chars);

/// <summary>
/// Writes a generated world as files people can read and other tools can reuse, atomically (the folder appears complete
/// or not at all):
/// pretrain.jsonl (<c>{"text","language","kind"}</c> per document) and pretrain.txt (documents separated by a blank line;
/// documents never contain one); sft.jsonl in the OpenAI messages format; preference.jsonl
/// (<c>{"prompt","chosen","rejected","language","kind"}</c>); eval.jsonl; split.json (which facts, phrasings and harmful
/// requests are trained on or held out, and the options used).
/// </summary>
public static class WorldExport
{
    public const string PretrainJsonl = "pretrain.jsonl", PretrainText = "pretrain.txt", SftJsonl = "sft.jsonl",
        PreferenceJsonl = "preference.jsonl", EvalJsonl = "eval.jsonl", SplitJson = "split.json";

    /// <summary>Readable UTF-8 (Chinese is not escaped), one compact object per line.</summary>
    static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<WorldSetCount> Write(string dir, WorldData world)
    {
        AtomicFile.WriteDirectory(dir, tmp =>
        {
            WriteLines(Path.Combine(tmp, PretrainJsonl), world.Pretraining.Select(d =>
                new JsonObject { ["text"] = d.Text, ["language"] = d.Language, ["kind"] = d.Kind }));
            File.WriteAllText(Path.Combine(tmp, PretrainText), string.Join("\n\n", world.Pretraining.Select(d => d.Text)) + "\n", Utf8);
            WriteLines(Path.Combine(tmp, SftJsonl), world.Sft.Select(c => new JsonObject
            {
                ["messages"] = new JsonArray([.. c.Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content })]),
            }));
            WriteLines(Path.Combine(tmp, PreferenceJsonl), world.Preferences.Select(p => new JsonObject
            {
                ["prompt"] = p.Prompt, ["chosen"] = p.Chosen, ["rejected"] = p.Rejected, ["language"] = p.Language, ["kind"] = p.Kind,
            }));
            WriteLines(Path.Combine(tmp, EvalJsonl), world.Evaluation.Select(e => new JsonObject
            {
                ["id"] = e.Id, ["kind"] = WorldGenerator.Code(e.Kind), ["language"] = e.Language, ["prompt"] = e.Prompt,
                ["answer"] = e.Answer, ["aliases"] = Strings(e.Aliases), ["wrong_entities"] = Strings(e.WrongEntities), ["fact"] = e.FactId,
            }));
            File.WriteAllText(Path.Combine(tmp, SplitJson), SplitJsonText(world), Utf8);
        });
        return Summarize(world);
    }

    /// <summary>Counts per set and language, in the order the sets are written.</summary>
    public static IReadOnlyList<WorldSetCount> Summarize(WorldData world)
    {
        var rows = new List<WorldSetCount>();
        foreach (var language in world.Options.LanguageList)
        {
            var docs = world.Pretraining.Where(d => d.Language == language).ToArray();
            rows.Add(new("pretrain", language, docs.Length, docs.Sum(d => (long)d.Text.Length)));
            var sft = world.Sft.Where(c => c.Language == language).ToArray();
            rows.Add(new("sft", language, sft.Length, sft.Sum(c => c.Messages.Sum(m => (long)m.Content.Length))));
            var prefs = world.Preferences.Where(p => p.Language == language).ToArray();
            rows.Add(new("preference", language, prefs.Length, prefs.Sum(p => (long)(p.Prompt.Length + p.Chosen.Length + p.Rejected.Length))));
            var eval = world.Evaluation.Where(e => e.Language == language).ToArray();
            rows.Add(new("eval", language, eval.Length, eval.Sum(e => (long)e.Prompt.Length)));
        }
        return [.. rows.OrderBy(r => System.Array.IndexOf(["pretrain", "sft", "preference", "eval"], r.Set))];
    }

    static readonly UTF8Encoding Utf8 = new(false);

    static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);

    static void WriteLines(string path, IEnumerable<JsonObject> rows)
    {
        using var writer = new StreamWriter(path, false, Utf8) { NewLine = "\n" };
        foreach (var row in rows) writer.WriteLine(row.ToJsonString(Json));
    }

    static string SplitJsonText(WorldData world)
    {
        var s = world.Split;
        var o = world.Options;
        JsonObject PerLanguage<T>(IReadOnlyDictionary<string, IReadOnlyList<T>> d, Func<T, string> text) =>
            new([.. d.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Strings(kv.Value.Select(text))))]);
        var root = new JsonObject
        {
            ["options"] = new JsonObject
            {
                ["seed"] = o.Seed, ["pretrain_chars"] = o.PretrainChars, ["sft_conversations"] = o.SftConversations,
                ["preference_pairs"] = o.PreferencePairs, ["heldout_fact_fraction"] = o.HeldOutFactFraction,
                ["heldout_phrasing_fraction"] = o.HeldOutPhrasingFraction, ["heldout_harmful_fraction"] = o.HeldOutHarmfulFraction,
                ["languages"] = Strings(o.LanguageList),
            },
            ["train_facts"] = Strings(s.TrainFacts.Select(f => f.Id)),
            ["heldout_facts"] = Strings(s.HeldOutFacts.Select(f => f.Id)),
            ["train_phrasings"] = PerLanguage(s.TrainPhrasings, p => p),
            ["heldout_phrasings"] = PerLanguage(s.HeldOutPhrasings, p => p),
            ["train_harmful"] = PerLanguage(s.TrainHarmful, h => h.Request),
            ["heldout_harmful"] = PerLanguage(s.HeldOutHarmful, h => h.Request),
        };
        return root.ToJsonString(new JsonSerializerOptions(Json) { WriteIndented = true }) + "\n";
    }
}

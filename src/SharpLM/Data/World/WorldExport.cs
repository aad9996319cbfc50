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
/// (<c>{"prompt","chosen","rejected","language","kind"}</c>, the format on-policy pairs and human votes use too); eval.jsonl
/// and rl_prompts.jsonl (the same schema: id, kind, language, prompt, answer, aliases, wrong_entities, fact); split.json
/// (which facts, phrasings, requests and unknown lands each stage sees, and the options used).
/// </summary>
public static class WorldExport
{
    public const string PretrainJsonl = "pretrain.jsonl", PretrainText = "pretrain.txt", SftJsonl = "sft.jsonl",
        PreferenceJsonl = "preference.jsonl", EvalJsonl = "eval.jsonl", RlPromptsJsonl = "rl_prompts.jsonl", SplitJson = "split.json";

    /// <summary>Readable UTF-8 (Chinese is not escaped), one compact object per line.</summary>
    static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Preference pairs sampled from a model and ranked by the world's checker (<c>world export --policy</c>).</summary>
    public const string OnPolicyJsonl = "preference_onpolicy.jsonl";

    public static IReadOnlyList<WorldSetCount> Write(string dir, WorldData world, IReadOnlyList<PreferencePair>? onPolicy = null)
    {
        AtomicFile.WriteDirectory(dir, tmp =>
        {
            if (onPolicy is not null) WritePairs(Path.Combine(tmp, OnPolicyJsonl), onPolicy);
            WriteLines(Path.Combine(tmp, PretrainJsonl), world.Pretraining.Select(d =>
                new JsonObject { ["text"] = d.Text, ["language"] = d.Language, ["kind"] = d.Kind }));
            File.WriteAllText(Path.Combine(tmp, PretrainText), string.Join("\n\n", world.Pretraining.Select(d => d.Text)) + "\n", Utf8);
            WriteLines(Path.Combine(tmp, SftJsonl), world.Sft.Select(c => new JsonObject
            {
                ["messages"] = new JsonArray([.. c.Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content })]),
            }));
            WritePairs(Path.Combine(tmp, PreferenceJsonl), world.Preferences);
            WriteItems(Path.Combine(tmp, EvalJsonl), world.Evaluation);
            WriteItems(Path.Combine(tmp, RlPromptsJsonl), world.RlPrompts);
            File.WriteAllText(Path.Combine(tmp, SplitJson), SplitJsonText(world), Utf8);
        });
        return Summarize(world);
    }

    /// <summary>Preference pairs, one <c>{"prompt","chosen","rejected","language","kind"}</c> object per line.</summary>
    public static void WritePairs(string path, IEnumerable<PreferencePair> pairs) =>
        WriteLines(path, pairs.Select(p => new JsonObject
        {
            ["prompt"] = p.Prompt, ["chosen"] = p.Chosen, ["rejected"] = p.Rejected, ["language"] = p.Language, ["kind"] = p.Kind,
        }));

    /// <summary>Evaluation items or RL prompts in eval.jsonl's schema.</summary>
    public static void WriteItems(string path, IEnumerable<EvalItem> items) =>
        WriteLines(path, items.Select(e => new JsonObject
        {
            ["id"] = e.Id, ["kind"] = WorldGenerator.Code(e.Kind), ["language"] = e.Language, ["prompt"] = e.Prompt,
            ["answer"] = e.Answer, ["aliases"] = Strings(e.Aliases), ["wrong_entities"] = Strings(e.WrongEntities), ["fact"] = e.FactId,
        }));

    /// <summary>Reads items written by <see cref="WriteItems"/>; a bad line is one clear error naming the file and line.</summary>
    public static IReadOnlyList<EvalItem> ReadItems(string path)
    {
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found");
        var items = new List<EvalItem>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            try
            {
                var o = JsonNode.Parse(text)!.AsObject();
                string S(string key) => o[key]?.GetValue<string>() ?? throw SharpLmException.At(path, line, key, "missing");
                string[] A(string key) => [.. (o[key]?.AsArray() ?? []).Select(v => v!.GetValue<string>())];
                var kind = WorldGenerator.KindOf(S("kind")) ?? throw SharpLmException.At(path, line, "kind", $"unknown kind '{S("kind")}'");
                items.Add(new EvalItem(S("id"), kind, S("language"), S("prompt"), o["answer"]?.GetValue<string>(),
                    A("aliases"), A("wrong_entities"), S("fact")));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw SharpLmException.At(path, line, null, $"not a world item: {e.Message}");
            }
        }
        return items;
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
                ["preference_pairs"] = o.PreferencePairs, ["eval_facts"] = o.EvalFacts, ["rl_facts"] = o.RlFacts,
                ["heldout_phrasing_fraction"] = o.HeldOutPhrasingFraction, ["heldout_request_fraction"] = o.HeldOutRequestFraction,
                ["rl_request_fraction"] = o.RlRequestFraction,
                ["sft_unknown"] = o.SftUnknown, ["rl_unknown"] = o.RlUnknown, ["languages"] = Strings(o.LanguageList),
                ["fact_passes"] = o.FactPasses, ["sft_fresh_unknown"] = o.SftFreshUnknown,
            },
            ["sft_facts"] = Strings(s.SftFacts.Select(f => f.Id)),
            ["rl_facts"] = Strings(s.RlFacts.Select(f => f.Id)),
            ["eval_facts"] = Strings(s.EvalFacts.Select(f => f.Id)),
            ["train_phrasings"] = PerLanguage(s.TrainPhrasings, p => p),
            ["heldout_phrasings"] = PerLanguage(s.HeldOutPhrasings, p => p),
            ["train_requests"] = PerLanguage(s.TrainRequests, r => r.Text),
            ["rl_requests"] = PerLanguage(s.RlRequests, r => r.Text),
            ["heldout_requests"] = PerLanguage(s.HeldOutRequests, r => r.Text),
            ["sft_unknown"] = Strings(s.SftUnknown.Select(n => n.En)),
            ["rl_unknown"] = Strings(s.RlUnknown.Select(n => n.En)),
            ["eval_unknown"] = Strings(s.EvalUnknown.Select(n => n.En)),
        };
        return root.ToJsonString(new JsonSerializerOptions(Json) { WriteIndented = true }) + "\n";
    }
}

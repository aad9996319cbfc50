using System.Text.Json;
using SharpLM.Data.World;

namespace SharpLM.Tests.World;

public class WorldExportTests
{
    static readonly WorldOptions Tiny = new(Seed: 11, PretrainChars: 30_000, SftConversations: 300, PreferencePairs: 200);

    static readonly string[] Files =
        [WorldExport.PretrainJsonl, WorldExport.PretrainText, WorldExport.SftJsonl, WorldExport.PreferenceJsonl, WorldExport.EvalJsonl, WorldExport.RlPromptsJsonl, WorldExport.SplitJson];

    [Fact]
    public void Same_seed_writes_identical_bytes_and_another_seed_differs()
    {
        using var tmp = new TempDir();
        WorldExport.Write(tmp["a"], new WorldGenerator(Tiny).Generate());
        WorldExport.Write(tmp["b"], new WorldGenerator(Tiny).Generate());
        WorldExport.Write(tmp["c"], new WorldGenerator(Tiny with { Seed = 12 }).Generate());
        foreach (var file in Files)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(tmp["a"], file)), File.ReadAllBytes(Path.Combine(tmp["b"], file)));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(tmp["a"], file)), File.ReadAllBytes(Path.Combine(tmp["c"], file)));
        }
    }

    [Fact]
    public void Every_file_parses_and_matches_the_generated_sets()
    {
        using var tmp = new TempDir();
        var world = new WorldGenerator(Tiny).Generate();
        var counts = WorldExport.Write(tmp.Path, world);

        var pretrain = Lines(tmp[WorldExport.PretrainJsonl]);
        Assert.Equal(world.Pretraining.Select(d => d.Text), pretrain.Select(p => p.GetProperty("text").GetString()));
        var txt = File.ReadAllText(tmp[WorldExport.PretrainText]).TrimEnd('\n').Split("\n\n");
        Assert.Equal(world.Pretraining.Select(d => d.Text), txt);

        var sft = Lines(tmp[WorldExport.SftJsonl]);
        Assert.Equal(world.Sft.Count, sft.Length);
        Assert.All(sft, c =>
        {
            var roles = c.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()).ToArray();
            Assert.Equal(roles.Select((_, i) => i % 2 == 0 ? "user" : "assistant"), roles);
            Assert.All(c.GetProperty("messages").EnumerateArray(), m => Assert.False(string.IsNullOrEmpty(m.GetProperty("content").GetString())));
        });

        var prefs = Lines(tmp[WorldExport.PreferenceJsonl]);
        Assert.Equal(world.Preferences.Count, prefs.Length);
        Assert.All(prefs, p => Assert.All(new[] { "prompt", "chosen", "rejected", "language", "kind" }, k => Assert.NotNull(p.GetProperty(k).GetString())));

        var eval = Lines(tmp[WorldExport.EvalJsonl]);
        Assert.Equal(world.Evaluation.Select(e => e.Id), eval.Select(e => e.GetProperty("id").GetString()));
        Assert.Contains(eval, e => e.GetProperty("kind").GetString() == "completion" && e.GetProperty("wrong_entities").GetArrayLength() > 0);
        Assert.Contains(eval, e => e.GetProperty("kind").GetString() == "harmful" && e.GetProperty("answer").GetString()!.Length > 0);
        Assert.Equal(world.Evaluation, WorldExport.ReadItems(tmp[WorldExport.EvalJsonl]), new ItemComparer());
        Assert.Equal(world.RlPrompts, WorldExport.ReadItems(tmp[WorldExport.RlPromptsJsonl]), new ItemComparer());

        using var split = JsonDocument.Parse(File.ReadAllText(tmp[WorldExport.SplitJson]));
        Assert.Equal(world.Split.EvalFacts.Select(f => f.Id), split.RootElement.GetProperty("eval_facts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(world.Split.RlFacts.Select(f => f.Id), split.RootElement.GetProperty("rl_facts").EnumerateArray().Select(e => e.GetString()));

        Assert.Equal(8, counts.Count);
        Assert.Equal(world.Sft.Count, counts.Where(c => c.Set == "sft").Sum(c => c.Items));
        Assert.Equal(world.Evaluation.Count(e => e.Language == "zh"), counts.Single(c => c.Set == "eval" && c.Language == "zh").Items);
        Assert.Contains("湖南", File.ReadAllText(tmp[WorldExport.PretrainJsonl])); // Chinese is written readable, not \u-escaped
    }

    [Fact]
    public void Cli_world_export_writes_the_folder_and_rejects_bad_sizes()
    {
        using var tmp = new TempDir();
        var dir = tmp["world"];
        Assert.Equal(0, SharpLM.Cli.Program.Main(["world", "export", "--out", dir, "--seed", "3", "--chars", "20000", "--sft", "50", "--preferences", "40"]));
        Assert.All(Files, f => Assert.True(File.Exists(Path.Combine(dir, f)), f));
        Assert.Equal(50, File.ReadLines(Path.Combine(dir, WorldExport.SftJsonl)).Count());
        Assert.Equal(1, SharpLM.Cli.Program.Main(["world", "export", "--out", tmp["bad"], "--chars", "-5"]));
        Assert.False(Directory.Exists(tmp["bad"]));
    }

    [Fact]
    public void A_bad_items_line_is_one_error_naming_the_file_and_line()
    {
        using var tmp = new TempDir();
        File.WriteAllLines(tmp["items.jsonl"], ["{\"id\":\"a\",\"kind\":\"harmful\",\"language\":\"en\",\"prompt\":\"p\",\"answer\":null,\"aliases\":[],\"wrong_entities\":[],\"fact\":\"f\"}",
            "{\"id\":\"b\",\"kind\":\"nonsense\"}"]);
        var e = Assert.Throws<SharpLM.Core.SharpLmException>(() => WorldExport.ReadItems(tmp["items.jsonl"]));
        Assert.Contains("items.jsonl", e.Message);
        Assert.Contains("2", e.Message);
    }

    sealed class ItemComparer : IEqualityComparer<EvalItem>
    {
        public bool Equals(EvalItem? a, EvalItem? b) => a is not null && b is not null && a.Id == b.Id && a.Kind == b.Kind && a.Prompt == b.Prompt
            && a.Answer == b.Answer && a.Aliases.SequenceEqual(b.Aliases) && a.WrongEntities.SequenceEqual(b.WrongEntities) && a.FactId == b.FactId;

        public int GetHashCode(EvalItem e) => e.Id.GetHashCode();
    }

    static JsonElement[] Lines(string path) =>
        File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
}

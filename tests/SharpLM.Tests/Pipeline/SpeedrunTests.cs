using SharpLM.Data.World;
using SharpLM.Pipeline;
using SharpLM.Training;

namespace SharpLM.Tests.Pipeline;

public sealed class SpeedrunTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // A budget no machine spends on the tiny sizes, so every stage ends on its step cap (MaxSteps), never on the clock:
    // what the test checks does not depend on how fast or busy the machine is.
    SpeedrunResult Run(int seed = 7) => new Speedrun().Run(new SpeedrunOptions(Minutes: 600, Out: _tmp["run"], Seed: seed, Threads: 1,
        Sizes: SpeedrunSizes.Tiny, Precision: "fp32"));

    [Fact]
    public void Miniature_speedrun_writes_every_stage_and_a_complete_report_and_a_rerun_redoes_only_unfinished_stages()
    {
        var first = Run();

        Assert.Empty(first.Skipped);
        Assert.Equal([Speedrun.Base, Speedrun.Sft, Speedrun.Reward, Speedrun.Ppo, Speedrun.Dpo, Speedrun.Grpo], first.Stages.Select(s => s.Stage));
        Assert.True(File.Exists(_tmp[Path.Combine("run", Speedrun.Pairs, Speedrun.PairsFile)]));
        Assert.True(File.Exists(_tmp[Path.Combine("run", Speedrun.World, WorldExport.EvalJsonl)]));
        Assert.True(File.Exists(_tmp[Path.Combine("run", Speedrun.TokenizerStage, SharpLM.Tokenization.Tokenizer.DescriptorFile)]));
        foreach (var stage in first.Stages)
        {
            var dir = _tmp[Path.Combine("run", stage.Stage)];
            Checkpoint.Verify(new RunFolder(dir).ModelDir);
            Assert.NotNull(Speedrun.Finished(dir));
            Assert.Equal((long)SpeedrunSizes.Tiny.MaxSteps!, stage.Steps);
            Assert.Equal(stage.Stage != Speedrun.Reward, stage.Eval is not null);
        }
        Assert.All(first.Stages.Where(s => s.Eval is not null), s => Assert.Equal(["zh", "en"], s.Eval!.Languages.Select(l => l.Language)));
        var report = File.ReadAllText(first.ReportPath);
        int position = -1;
        foreach (var section in SpeedrunReport.Sections)
        {
            int at = report.IndexOf(section + "\n", StringComparison.Ordinal);
            Assert.True(at > position, $"section '{section}' missing or out of order");
            position = at;
        }
        Assert.Contains(SeedProbeTexts.Completion, report);
        Assert.Contains("- Precision: fp32: asked for (--precision fp32)", report);
        foreach (var chart in new[] { SpeedrunReport.AccuracyChart, SpeedrunReport.RatesChart, SpeedrunReport.BpbChart, SpeedrunReport.ThroughputChart,
                     "base/loss.png", "ppo/reward.png", "ppo/kind_reward.png", "grpo/kind_length.png", "dpo/dpo.png" })
            Assert.True(new FileInfo(_tmp[Path.Combine("run", chart)]).Length > 1000, chart);
        // GRPO practised the world's RL prompts, every SFT fact in one trained phrasing and a few extra unknown lands.
        var grpoPrompts = WorldExport.ReadItems(_tmp[Path.Combine("run", Speedrun.Grpo, Speedrun.GrpoPromptsFile)]);
        var sftFacts = new WorldGenerator(SpeedrunSizes.Tiny.World with { Seed = 7 }).Split.SftFacts;
        Assert.Equal(WorldExport.ReadItems(_tmp[Path.Combine("run", Speedrun.World, WorldExport.RlPromptsJsonl)]).Count
            + 2 * SpeedrunSizes.Tiny.GrpoSftFactPhrasings * sftFacts.Count + 2 * SpeedrunSizes.Tiny.GrpoExtraUnknownLands * Speedrun.ExtraUnknownPhrasings,
            grpoPrompts.Count);
        Assert.Equal(sftFacts.Select(f => f.Id).Order(), grpoPrompts.Where(i => i.Kind == EvalKind.SftFact).Select(i => i.FactId).Distinct().Order());
        // report.json: every stage × language × metric of the schema, each share with its interval, val_bpb a number.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_tmp[Path.Combine("run", SpeedrunReport.JsonFileName)]))!;
        foreach (var stage in new[] { Speedrun.Base, Speedrun.Sft, Speedrun.Ppo, Speedrun.Dpo, Speedrun.Grpo })
            foreach (var language in new[] { "zh", "en" })
            {
                var metrics = json["stages"]![stage]![language]!;
                foreach (var metric in Metrics.Shares)
                {
                    var m = metrics[metric]!;
                    double value = m["value"]!.GetValue<double>(), low = m["low"]!.GetValue<double>(), high = m["high"]!.GetValue<double>();
                    Assert.True(low <= value + 1e-9 && value <= high + 1e-9 && low >= 0 && high <= 1, $"{stage}.{language}.{metric}: {low} {value} {high}");
                }
                Assert.True(metrics[Metrics.ValBpb]!.GetValue<double>() > 0);
            }
        Assert.NotEmpty(json["targets"]!.AsArray());

        // A finished run is not redone; a stage whose record is missing (as if killed before it finished) is redone alone.
        var ppoRecord = _tmp[Path.Combine("run", Speedrun.Ppo, StageRecord.FileName)];
        var dpoWritten = File.GetLastWriteTimeUtc(_tmp[Path.Combine("run", Speedrun.Dpo, StageRecord.FileName)]);
        Assert.Equal(Speedrun.StageFolders, Run().Skipped);
        File.Delete(ppoRecord);
        var third = Run();
        Assert.Equal(Speedrun.StageFolders.Where(s => s != Speedrun.Ppo), third.Skipped);
        Assert.True(File.Exists(ppoRecord));
        Assert.Equal(dpoWritten, File.GetLastWriteTimeUtc(_tmp[Path.Combine("run", Speedrun.Dpo, StageRecord.FileName)]));

        // Another seed in the same folder is refused rather than mixed with these stages.
        var e = Assert.Throws<Core.SharpLmException>(() => Run(seed: 8));
        Assert.Contains(Speedrun.OptionsFile, e.Message);
    }

    [Fact]
    public void Limit_keeps_items_spread_over_each_kind_and_language()
    {
        var items = Enumerable.Range(0, 10).Select(i => new EvalItem($"f{i}", EvalKind.HeldOutFact, "en", $"q{i}", "a", [], [], $"fact{i}"))
            .Append(new EvalItem("h", EvalKind.Harmful, "en", "bad", null, [], [], "harmful:x")).ToList();

        var kept = StageEvaluator.Limit(items, 4);

        Assert.Equal(["f0", "f2", "f5", "f7", "h"], kept.Select(i => i.Id));
    }

    [Fact]
    public void Budgets_past_fifteen_minutes_get_text_in_proportion_and_shorter_ones_the_default_world()
    {
        var standard = SpeedrunSizes.For(15);
        Assert.Equal(new WorldOptions(PretrainChars: 3_000_000, SftConversations: 6000, PreferencePairs: 3000), standard.World);
        Assert.Equal(2_000_000, standard.ReplayChars);
        Assert.Equal(standard, SpeedrunSizes.For(10));
        var doubled = SpeedrunSizes.For(30);
        Assert.Equal((6_000_000L, 12_000, 4_000_000), (doubled.World.PretrainChars, doubled.World.SftConversations, doubled.ReplayChars));
        // Only the text grows: the model and every rate stay the recipe's.
        Assert.Equal(standard with { World = doubled.World, ReplayChars = doubled.ReplayChars }, doubled);
        Assert.Equal(400_000, SpeedrunSizes.For(2).World.PretrainChars);
    }

    [Fact]
    public void Several_seeds_run_the_recipe_once_per_seed_and_summarise_them()
    {
        var result = new Speedrun().Run(new SpeedrunOptions(Minutes: 1, Out: _tmp["seeds"], Seed: 7, Threads: 1, Sizes: SpeedrunSizes.Tiny, Seeds: 2));
        Assert.Equal(_tmp[Path.Combine("seeds", SeedSummary.FileName)], result.ReportPath);
        foreach (var seed in new[] { 7, 8 })
            Assert.True(File.Exists(_tmp[Path.Combine("seeds", $"seed-{seed}", SpeedrunReport.JsonFileName)]));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_tmp[Path.Combine("seeds", SeedSummary.JsonFileName)]))!;
        Assert.Equal(2, json["figures"]!["sft.en.unknown_idk"]!["n"]!.GetValue<int>());
    }

    [Fact]
    public void Seed_summary_gives_mean_and_spread_of_every_figure_and_targets_met_per_seed()
    {
        string Report(int seed, double value, bool met)
        {
            var path = _tmp[$"r{seed}.json"];
            var metric = new System.Text.Json.Nodes.JsonObject { ["value"] = value, ["low"] = 0, ["high"] = 1 };
            var doc = new System.Text.Json.Nodes.JsonObject
            {
                ["seed"] = seed,
                ["stages"] = new System.Text.Json.Nodes.JsonObject { ["sft"] = new System.Text.Json.Nodes.JsonObject { ["en"] = new System.Text.Json.Nodes.JsonObject { ["unknown_idk"] = metric, ["val_bpb"] = 1.5 } } },
                ["targets"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["stage"] = "sft", ["language"] = "en", ["target"] = "t", ["value"] = value, ["met"] = met }),
            };
            File.WriteAllText(path, doc.ToJsonString());
            return path;
        }
        var md = SeedSummary.Write(_tmp.Path, [Report(1, 0.2, true), Report(2, 0.4, false), Report(3, 0.6, true)]);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_tmp[SeedSummary.JsonFileName]))!;
        Assert.Equal(0.4, json["figures"]!["sft.en.unknown_idk"]!["mean"]!.GetValue<double>(), 9);
        Assert.Equal(0.2, json["figures"]!["sft.en.unknown_idk"]!["sd"]!.GetValue<double>(), 9);
        Assert.Equal(1.5, json["figures"]!["sft.en.val_bpb"]!["max"]!.GetValue<double>(), 9);
        Assert.Equal(2, json["targets"]!["sft en: t"]!["met"]!.GetValue<int>());
        Assert.Contains("2 of 3", File.ReadAllText(md));
    }

    [Fact]
    public void Bootstrap_interval_brackets_the_share_and_narrows_with_more_clusters()
    {
        var few = Enumerable.Range(0, 10).Select(i => ($"c{i}", i % 2 == 0)).ToList();
        var many = Enumerable.Range(0, 400).Select(i => ($"c{i}", i % 2 == 0)).ToList();
        var (a, b) = (SharpLM.Evaluation.Bootstrap.Share(few), SharpLM.Evaluation.Bootstrap.Share(many));
        Assert.Equal(0.5, a.Value);
        Assert.True(a.Low < 0.5 && a.High > 0.5 && b.Low < 0.5 && b.High > 0.5);
        Assert.True(b.High - b.Low < (a.High - a.Low) / 3);
        // Items of one cluster move together: ten copies of each of ten facts give the interval of ten, not of a hundred.
        var clustered = few.SelectMany(r => Enumerable.Repeat(r, 10)).ToList();
        Assert.True(SharpLM.Evaluation.Bootstrap.Share(clustered).High - SharpLM.Evaluation.Bootstrap.Share(clustered).Low > 0.3);
        Assert.True(double.IsNaN(SharpLM.Evaluation.Bootstrap.Share([]).Value));
    }

    [Fact]
    public void Nonpositive_budget_is_rejected_naming_the_option()
    {
        var e = Assert.Throws<Core.SharpLmException>(() => new Speedrun().Run(new SpeedrunOptions(Minutes: 0, Out: _tmp["x"])));
        Assert.Contains("--minutes", e.Message);
        Assert.False(Directory.Exists(_tmp["x"]));
    }
}

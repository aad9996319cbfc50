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
        Assert.Equal([Speedrun.Base, Speedrun.Sft, Speedrun.Reward, Speedrun.Ppo, Speedrun.Dpo], first.Stages.Select(s => s.Stage));
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
        foreach (var chart in new[] { SpeedrunReport.AccuracyChart, SpeedrunReport.RatesChart, SpeedrunReport.BpbChart, SpeedrunReport.ThroughputChart, "base/loss.png", "ppo/reward.png" })
            Assert.True(new FileInfo(_tmp[Path.Combine("run", chart)]).Length > 1000, chart);

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
    public void Nonpositive_budget_is_rejected_naming_the_option()
    {
        var e = Assert.Throws<Core.SharpLmException>(() => new Speedrun().Run(new SpeedrunOptions(Minutes: 0, Out: _tmp["x"])));
        Assert.Contains("--minutes", e.Message);
        Assert.False(Directory.Exists(_tmp["x"]));
    }
}

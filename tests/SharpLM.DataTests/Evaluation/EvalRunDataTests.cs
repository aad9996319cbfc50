using SharpLM.Core;
using SharpLM.Evaluation;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.DataTests.Evaluation;

/// <summary><c>eval --task NAME</c> runs on every file that ships in the public eval folder, on a tiny byte-level model.</summary>
public sealed class EvalRunDataTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>An untrained model over a small byte-level BPE (it can encode any text), with room for a CMRC passage.</summary>
    string TinyModel()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 5));
        var tokenizer = BpeTrainer.Train(["the quick brown fox 的 是 了"], new BpeTrainingOptions(BpeTrainer.MinVocabSize + 8));
        using var model = new Gpt(new GptConfig(tokenizer.VocabSize, 2048, 1, 32, 2, 2));
        var dir = _tmp["model"];
        Checkpoint.Save(dir, model, tokenizer, "sft");
        return dir;
    }

    [DataFact]
    public void Every_file_in_the_eval_folder_has_a_task_name_and_runs()
    {
        var root = SharedData.Path("eval");
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(SharedData.Path(), f).Replace('\\', '/')).Order().ToList();
        var names = files.Select(f => EvalTaskReader.Known.FirstOrDefault(k => k.Value == f).Key).ToList();
        Assert.True(names.All(n => n is not null), "no task name for: " + string.Join(", ", files.Where((_, i) => names[i] is null)));

        var previous = Environment.GetEnvironmentVariable("SHARPLM_DATA");
        Environment.SetEnvironmentVariable("SHARPLM_DATA", SharedData.Path());
        try
        {
            var reports = Evaluator.Run(new EvalOptions(TinyModel(), names!, Limit: 3, MaxNewTokens: 4, Torch: new TorchSettings(Threads: 1)));
            Assert.Equal(files.Count, reports.Count);
            foreach (var r in reports)
            {
                Assert.True(r.Items + (int)r.Metrics["skipped"] == 3, $"{r.Task}: {r.Items} scored, {r.Metrics["skipped"]} skipped");
                Assert.True(r.Items > 0, $"{r.Task}: nothing scored");
            }
            Assert.Contains(reports, r => r.Task == "lambada" && r.Kind == "last_word");
            Assert.Contains(reports, r => r.Task == "cmrc2018" && r.Kind == "reading_comprehension" && r.Metrics.ContainsKey("f1"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SHARPLM_DATA", previous);
        }
    }

    [DataFact]
    public void Cmrc2018_and_lambada_read_completely()
    {
        var task = Assert.IsType<EvalTask.ReadingComprehension>(EvalTaskReader.Read(SharedData.Path(EvalTaskReader.Known["cmrc2018"])));
        Assert.Equal(1002, task.Items.Count);
        Assert.All(task.Items, i => Assert.NotEmpty(i.Answers));
        var lambada = Assert.IsType<EvalTask.LastWord>(EvalTaskReader.Read(SharedData.Path(EvalTaskReader.Known["lambada"])));
        Assert.Equal(5153, lambada.Items.Count);
        Assert.All(lambada.Items, i => Assert.True(char.IsWhiteSpace(i.Word[0]), i.Word)); // one record's word follows "\n\n"
    }
}

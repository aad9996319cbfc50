using System.Diagnostics;
using SharpLM.Core;
using SharpLM.Training;

namespace SharpLM.Evaluation;

/// <summary>Options of <c>sharplm eval</c>.</summary>
/// <param name="Model">Run folder or checkpoint folder.</param>
/// <param name="Tasks">Task names (see <see cref="EvalTaskReader.Known"/>) or files.</param>
/// <param name="Limit">Score only the first N items (or N windows of a text).</param>
/// <param name="Match">How generative answers are checked.</param>
/// <param name="MaxNewTokens">Longest generated answer.</param>
/// <param name="KeepSamples">Generated answers kept in the saved JSON (the first N).</param>
public sealed record EvalOptions(
    string Model,
    IReadOnlyList<string> Tasks,
    int? Limit = null,
    AnswerMatch Match = AnswerMatch.Auto,
    int MaxNewTokens = 256,
    int KeepSamples = 20,
    TorchSettings? Torch = null);

/// <summary>Runs evaluation tasks on a model and saves each report into the model's run folder.</summary>
public static class Evaluator
{
    public static List<EvalReport> Run(EvalOptions o, IProgress<ProgressUpdate>? progress = null)
    {
        if (o.Tasks.Count == 0) throw new SharpLmException("give at least one --task");
        if (o.Limit is <= 0) throw new SharpLmException("--limit must be positive");
        var device = TorchRuntime.Apply(o.Torch ?? new TorchSettings());
        var tasks = o.Tasks.Select(t => EvalTaskReader.Read(t, o.Limit)).ToList(); // read all first: a bad file fails fast
        using var loaded = RunFolder.LoadModel(o.Model, device);
        var (model, tokenizer) = (loaded.Model, loaded.Tokenizer);
        var reports = new List<EvalReport>();
        foreach (var task in tasks)
        {
            var clock = Stopwatch.StartNew();
            (string Kind, int Items, Dictionary<string, double> Metrics, IReadOnlyList<GenerativeSample>? Samples) r = task switch
            {
                EvalTask.MultipleChoice mc => MultipleChoice(mc),
                EvalTask.Generative g => Generative(g),
                EvalTask.Text t => Text(t),
                EvalTask.LastWord l => LastWord(l),
                EvalTask.ReadingComprehension rc => Reading(rc),
                _ => throw new InvalidOperationException(task.GetType().Name),
            };
            var report = new EvalReport(task.Name, r.Kind, task.Source, Path.GetFullPath(loaded.Dir), r.Items, r.Metrics, r.Samples,
                Math.Round(clock.Elapsed.TotalSeconds, 3), DateTime.UtcNow.ToString("O"));
            report.Save(RunDirOf(loaded.Dir));
            reports.Add(report);
        }
        return reports;

        (string, int, Dictionary<string, double>, IReadOnlyList<GenerativeSample>?) MultipleChoice(EvalTask.MultipleChoice t)
        {
            var res = MultipleChoiceScorer.Evaluate(model, tokenizer, t.Items, progress, t.Name);
            return ("multiple_choice", res.Items, new()
            {
                ["accuracy"] = res.Accuracy, ["accuracy_per_byte"] = res.AccuracyPerByte, ["random_chance"] = res.RandomChance,
                ["skipped"] = res.Skipped,
            }, null);
        }

        (string, int, Dictionary<string, double>, IReadOnlyList<GenerativeSample>?) Generative(EvalTask.Generative t)
        {
            var res = GenerativeScorer.Evaluate(model, tokenizer, t.Items, o.Match, o.MaxNewTokens, progress: progress, task: t.Name);
            return ("generative", res.Items, new() { ["accuracy"] = res.Accuracy, ["skipped"] = res.Skipped }, res.Samples.Take(o.KeepSamples).ToList());
        }

        (string, int, Dictionary<string, double>, IReadOnlyList<GenerativeSample>?) LastWord(EvalTask.LastWord t)
        {
            var res = LastWordScorer.Evaluate(model, tokenizer, t.Items, progress: progress, task: t.Name);
            return ("last_word", res.Items, new() { ["accuracy"] = res.Accuracy, ["perplexity"] = res.Perplexity, ["skipped"] = res.Skipped }, null);
        }

        (string, int, Dictionary<string, double>, IReadOnlyList<GenerativeSample>?) Reading(EvalTask.ReadingComprehension t)
        {
            var res = ReadingScorer.Evaluate(model, tokenizer, t.Items, o.MaxNewTokens, progress: progress, task: t.Name);
            return ("reading_comprehension", res.Items, new() { ["exact_match"] = res.ExactMatch, ["f1"] = res.F1, ["skipped"] = res.Skipped },
                res.Samples.Take(o.KeepSamples).ToList());
        }

        (string, int, Dictionary<string, double>, IReadOnlyList<GenerativeSample>?) Text(EvalTask.Text t)
        {
            var res = TextLoss.Evaluate(model, tokenizer, t.Content, o.Limit, progress);
            return ("text", res.Windows, new() { ["loss"] = res.Loss, ["bits_per_byte"] = res.BitsPerByte, ["tokens"] = res.Tokens }, null);
        }
    }

    /// <summary>A checkpoint inside a run folder (model/, best/) reports into the run folder; a lone checkpoint into itself.</summary>
    public static string RunDirOf(string checkpointDir)
    {
        var full = Path.GetFullPath(checkpointDir).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full);
        return parent is not null && File.Exists(Path.Combine(parent, MetricsLog.FileName)) ? parent : full;
    }
}

using System.CommandLine;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Evaluation;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm eval</c>: multiple-choice, generative and text-loss tasks; results printed and saved into the run folder.</summary>
public static class EvalCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = "run folder or checkpoint folder", Required = true };
        var task = new Option<string[]>("--task")
        {
            Description = $"task name ({string.Join(", ", EvalTaskReader.Known.Keys)}) or file (.jsonl task, SQuAD .json, .txt text)",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var limit = new Option<int?>("--limit") { Description = "score only the first N items (text: N windows)" };
        var match = new Option<AnswerMatch>("--match") { Description = "generative answer check: Auto, Exact, Contains or Numeric", DefaultValueFactory = _ => AnswerMatch.Auto };
        var maxTokens = new Option<int>("--max-tokens") { Description = "longest generated answer", DefaultValueFactory = _ => 256 };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("eval", "Evaluate a model: multiple choice (log-likelihood), generative (chat answers), last word, reading comprehension or text loss / bits per byte")
        {
            model, task, limit, match, maxTokens, threads, device, json,
        };
        CliRunner.SetHandler(command, parse =>
        {
            var options = new EvalOptions(parse.GetValue(model)!, parse.GetValue(task)!, parse.GetValue(limit), parse.GetValue(match),
                parse.GetValue(maxTokens), Torch: new TorchSettings(parse.GetValue(threads), Device: parse.GetValue(device)!));
            var reports = ProgressDisplay.Run("eval", progress => Evaluator.Run(options, progress));
            if (parse.GetValue(json))
            {
                Console.WriteLine("[" + string.Join(",\n", reports.Select(r => r.ToJson())) + "]");
                return 0;
            }
            static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
            var table = new Table().AddColumns("task", "kind", "items", "result", "random chance", "skipped");
            foreach (var r in reports)
            {
                string Metric(string key) => r.Metrics.TryGetValue(key, out var v) ? F(v) : "";
                var result = r.Kind switch
                {
                    "text" => $"loss {Metric("loss")}, bits/byte {Metric("bits_per_byte")}",
                    "last_word" => $"acc {Metric("accuracy")}, perplexity {Metric("perplexity")}",
                    "reading_comprehension" => $"EM {Metric("exact_match")}, F1 {Metric("f1")}",
                    _ when r.Metrics.ContainsKey("accuracy_per_byte") => $"acc {Metric("accuracy")} (per byte {Metric("accuracy_per_byte")})",
                    _ => $"acc {Metric("accuracy")}",
                };
                var skipped = r.Metrics.TryGetValue("skipped", out var k) ? k.ToString(CultureInfo.InvariantCulture) : "";
                table.AddRow(Markup.Escape(r.Task), r.Kind, r.Items.ToString(CultureInfo.InvariantCulture), result, Metric("random_chance"), skipped);
            }
            AnsiConsole.Write(table);
            var dir = Evaluator.RunDirOf(SharpLM.Training.RunFolder.ResolveModel(parse.GetValue(model)!));
            AnsiConsole.Console.WriteLine($"saved: {Path.Combine(dir, EvalReport.FolderName)}/");
            return 0;
        });
        return command;
    }
}

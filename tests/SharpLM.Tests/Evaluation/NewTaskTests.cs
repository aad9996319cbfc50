using SharpLM.Core;
using SharpLM.Evaluation;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tests.Cli;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Tests.Evaluation;

/// <summary>LAMBADA (last word) and CMRC 2018 (SQuAD-layout reading comprehension) from hand-written fixtures.</summary>
public class NewTaskTests
{
    [Fact]
    public void Lambada_records_become_last_word_items_with_the_separating_space()
    {
        var task = Assert.IsType<EvalTask.LastWord>(EvalTaskReader.Read(Fixture.Path("eval/lambada.jsonl")));
        Assert.Equal(("She fed the cat, then she fed the dog, and at last she fed the", " bird"), (task.Items[0].Context, task.Items[0].Word));
        Assert.Equal(("He opened the door with his ", "key"), (task.Items[1].Context, task.Items[1].Word));
    }

    [Fact]
    public void Squad_layout_document_becomes_reading_items_with_distinct_answers()
    {
        var task = Assert.IsType<EvalTask.ReadingComprehension>(EvalTaskReader.Read(Fixture.Path("eval/cmrc_squad.json")));
        Assert.Equal(3, task.Items.Count);
        Assert.Equal(["长沙"], task.Items[0].Answers);
        Assert.Equal(["零度", "0度"], task.Items[2].Answers);
        Assert.Equal("长沙是湖南的省会，位于湘江下游。", task.Items[1].Passage);
        Assert.Equal(2, Assert.IsType<EvalTask.ReadingComprehension>(EvalTaskReader.Read(Fixture.Path("eval/cmrc_squad.json"), limit: 2)).Items.Count);
    }

    [Fact]
    public void Squad_errors_name_the_file_and_the_json_path()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.json", "{\n \"data\": [{\"paragraphs\": [{\"context\": \"c\", \"qas\": [{\"question\": \"q\", \"answers\": []}]}]}]\n}");
        Assert.Equal($"{path}: data[0].paragraphs[0].qas[0].answers: no answer text",
            Assert.Throws<SharpLmException>(() => EvalTaskReader.Read(path)).Message);
        var noData = dir.File("nodata.json", "{\n \"version\": 1\n}");
        Assert.StartsWith($"{noData}: data: missing", Assert.Throws<SharpLmException>(() => EvalTaskReader.Read(noData)).Message);
    }

    [Theory]
    [InlineData("长沙", "长沙", 1, 1)]
    [InlineData("长沙。", "长沙", 1, 1)]                 // listed punctuation is removed
    [InlineData("是长沙", "长沙", 0, 0.8)]               // 2 of 3 predicted, 2 of 2 reference: P 2/3, R 1, F1 0.8
    [InlineData("湘江下游", "湘江", 0, 2.0 / 3)]          // P 2/4, R 1
    [InlineData("北京", "长沙", 0, 0)]
    [InlineData("New York City", "new york", 0, 0.8)]   // words, lower-cased: P 2/3, R 1
    [InlineData("", "长沙", 0, 0)]
    public void Cmrc_exact_match_and_f1_follow_the_official_script(string prediction, string answer, double em, double f1)
    {
        Assert.Equal(em, CmrcMetrics.ExactMatch(prediction, [answer]));
        Assert.Equal(f1, CmrcMetrics.F1(prediction, [answer]), 6);
    }

    [Fact]
    public void Cmrc_f1_takes_the_best_answer_and_counts_a_contiguous_run_only()
    {
        Assert.Equal(1, CmrcMetrics.F1("0度", ["零度", "0度"]));
        // Common characters out of order: the longest common contiguous run is one character (the script's LCS is a substring).
        Assert.Equal(2 * 0.5 * 0.5 / 1.0, CmrcMetrics.F1("沙长", ["长沙"]), 6);
        // Full-width marks of the script's list go; other punctuation stays a segment of its own (NLTK keeps it too).
        Assert.Equal(["new", "york", ",", "长", "沙"], CmrcMetrics.Segments("New York, 长沙！"));
    }

    [Fact]
    public void Last_word_is_right_exactly_when_greedy_decoding_reproduces_it()
    {
        var tokenizer = TinyBase.Tokenizer("the cat sat on the mat");
        manual_seed(3);
        using var model = new Gpt(TinyBase.Config(tokenizer));
        model.eval();
        const string context = "the cat sat on the";
        // The word the model itself would write next (greedy, 3 tokens) is right; the same word with its last letter changed is not.
        var prompt = new[] { tokenizer.BosId }.Concat(tokenizer.Encode(context)).ToArray();
        var greedy = new SharpLM.Inference.Generator(model, tokenizer).Generate([prompt], new GenerationOptions(3, SamplingOptions.Greedy, []))[0];
        var word = tokenizer.Decode(greedy.Tokens);
        var other = word[..^1] + (word[^1] == 'a' ? 'b' : 'a');
        var result = LastWordScorer.Evaluate(model, tokenizer, [new LastWordItem(context, word), new LastWordItem(context, other)]);
        Assert.Equal((2, 1, 0), (result.Items, result.Correct, result.Skipped));
        var unknown = LastWordScorer.Evaluate(model, tokenizer, [new LastWordItem(context, " 猫")]);
        Assert.Equal((0, 1), (unknown.Items, unknown.Skipped));
        Assert.True(result.Perplexity > 1, $"perplexity {result.Perplexity}");
    }

    [Fact]
    public void Eval_cli_runs_lambada_and_cmrc_files_and_saves_their_reports()
    {
        using var dir = new TempDir();
        var texts = new[] { File.ReadAllText(Fixture.Path("eval/cmrc_squad.json")), File.ReadAllText(Fixture.Path("eval/lambada.jsonl")),
            ReadingScorer.Prompt(new ReadingItem("", "", [])) };
        var tokenizer = TinyBase.Tokenizer(texts);
        var model = TinyBase.Save(dir["model"], tokenizer, context: 128);
        var (code, output, error) = CliRun.Run("eval", "--model", model, "--task", Fixture.Path("eval/lambada.jsonl"),
            Fixture.Path("eval/cmrc_squad.json"), "--max-tokens", "4", "--threads", "1", "--json");
        Assert.True(code == 0, error);
        // stdout is the JSON alone (a pipe into jq works); the progress lines went to stderr.
        var reports = System.Text.Json.Nodes.JsonNode.Parse(output)!.AsArray();
        Assert.Contains("[lambada]", error);
        Assert.Equal(["last_word", "reading_comprehension"], reports.Select(r => r!["kind"]!.GetValue<string>()));
        Assert.Equal(2, reports[0]!["items"]!.GetValue<int>());
        Assert.InRange(reports[1]!["metrics"]!["f1"]!.GetValue<double>(), 0, 1);
        var saved = File.ReadAllText(Path.Combine(model, "eval", "cmrc_squad.json"));
        Assert.Contains("\"f1\"", saved);
        Assert.True(saved.Contains("\"items\": 3"), saved);
    }
}

using SharpLM.Core;
using SharpLM.Evaluation;

namespace SharpLM.Tests.Evaluation;

public class EvalTaskReaderTests
{
    // One fixture per task layout (the data suite reads every public file the same way).
    [Theory]
    [InlineData("eval/query_choices_gold.jsonl", 4)]
    [InlineData("eval/hellaswag.jsonl", 4)]
    [InlineData("eval/mmlu.jsonl", 4)]
    [InlineData("eval/winogrande.jsonl", 2)]
    public void Multiple_choice_layouts_read_with_their_gold_answers(string file, int choices)
    {
        var task = Assert.IsType<EvalTask.MultipleChoice>(EvalTaskReader.Read(Fixture.Path(file)));
        Assert.Equal(2, task.Items.Count);
        Assert.All(task.Items, i => Assert.InRange(i.Gold, 0, i.Options.Count - 1));
        Assert.Equal(choices, task.Items[0].Options.Count);
        Assert.Single(Assert.IsType<EvalTask.MultipleChoice>(EvalTaskReader.Read(Fixture.Path(file), limit: 1)).Items);
    }

    [Fact]
    public void Formats_become_the_expected_contexts_and_continuations()
    {
        var mmlu = (EvalTask.MultipleChoice)EvalTaskReader.Read(Fixture.Path("eval/mmlu.jsonl"), 1);
        Assert.Equal("Question: What is 7 times 6?\nA. 40\nB. 42\nC. 48\nD. 36\nAnswer:", mmlu.Items[0].Options[0].Context);
        Assert.Equal([" A", " B", " C", " D"], mmlu.Items[0].Options.Select(o => o.Continuation));
        Assert.Equal(1, mmlu.Items[0].Gold);
        var wino = (EvalTask.MultipleChoice)EvalTaskReader.Read(Fixture.Path("eval/winogrande.jsonl"), 1);
        Assert.EndsWith("because the bag", wino.Items[0].Options[1].Context);
        Assert.Equal(" was too small.", wino.Items[0].Options[1].Continuation);
        var arc = (EvalTask.MultipleChoice)EvalTaskReader.Read(Fixture.Path("eval/query_choices_gold.jsonl"));
        Assert.Equal("Question: Which animal says moo?\nAnswer:", arc.Items[0].Options[0].Context); // ARC gets its answer cue
        Assert.Equal("Question: What do plants need to grow?\nAnswer:", arc.Items[1].Options[0].Context);
        var hella = (EvalTask.MultipleChoice)EvalTaskReader.Read(Fixture.Path("eval/hellaswag.jsonl"));
        Assert.Equal(("The girl opens the fridge. She", " takes out the milk."), hella.Items[1].Options[hella.Items[1].Gold]);
        var gsm = Assert.IsType<EvalTask.Generative>(EvalTaskReader.Read(Fixture.Path("eval/gsm8k.jsonl")));
        Assert.Equal(2, gsm.Items.Count);
        Assert.Equal(7m, AnswerChecker.ExtractNumber(gsm.Items[0].Reference));
    }

    [Fact]
    public void Gzipped_task_files_read_like_plain_ones()
    {
        using var dir = new TempDir();
        var task = Assert.IsType<EvalTask.MultipleChoice>(EvalTaskReader.Read(Fixture.Gzipped(dir, "eval/query_choices_gold.jsonl")));
        Assert.Equal(2, task.Items.Count);
        Assert.Equal("query_choices_gold", task.Name);
    }

    [Fact]
    public void Bad_task_records_name_file_line_and_field()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir["t.jsonl"], ["""{"query":"q","choices":["a","b"],"gold":0}""", """{"query":"q","choices":["a","b"],"gold":2}"""]);
        var e = Assert.Throws<SharpLmException>(() => EvalTaskReader.Read(dir["t.jsonl"]));
        Assert.Equal($"{dir["t.jsonl"]}:2: gold: 2 is not a choice index (0..1)", e.Message);
        Assert.Contains("not a known task", Assert.Throws<SharpLmException>(() => EvalTaskReader.Read("no_such_task")).Message);
    }
}

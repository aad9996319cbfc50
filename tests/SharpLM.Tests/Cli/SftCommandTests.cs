namespace SharpLM.Tests.Cli;

public class SftCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void Render_marks_exactly_the_trained_text_when_piped()
    {
        using var dir = new TempDir();
        var tokenizer = TinyBase.Tokenizer();
        Directory.CreateDirectory(dir["tok"]);
        tokenizer.Save(dir["tok"]);
        File.WriteAllLines(dir["d.jsonl"], [
            """{"question":"two plus two?","answer":"four"}""",
            """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},{"role":"user","content":"ok?"},{"role":"assistant","content":"ok"}]}""",
        ]);
        var (code, output, _) = Run("sft", "render", "--tokenizer", dir["tok"], "--data", dir["d.jsonl"], "--index", "1");
        Assert.Equal(0, code);
        Assert.Contains(
            "<|bos|><|user_start|>hi<|user_end|><|assistant_start|>⟦yo<|assistant_end|>⟧<|user_start|>ok?<|user_end|><|assistant_start|>⟦ok<|assistant_end|>⟧",
            output);
        Assert.Contains($"{dir["d.jsonl"]}:2: 18 tokens, 6 trained", output);
    }

    [Fact]
    public void Render_of_a_malformed_record_exits_1_naming_file_and_line()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["tok"]);
        TinyBase.Tokenizer().Save(dir["tok"]);
        File.WriteAllLines(dir["d.jsonl"], ["""{"question":"q","answer":"a"}""", """{"question":"q"}"""]);
        var (code, _, err) = Run("sft", "render", "--tokenizer", dir["tok"], "--data", dir["d.jsonl"]);
        Assert.Equal(1, code);
        Assert.Contains($"{dir["d.jsonl"]}:2: unknown record format (fields: question)", err);
    }

    [Fact]
    public void Eval_prints_accuracy_and_random_chance_and_saves_json_into_the_run_folder()
    {
        using var dir = new TempDir();
        var tokenizer = TinyBase.Tokenizer();
        TinyBase.Save(dir["model"], tokenizer);
        File.WriteAllLines(dir["mc.jsonl"], ["""{"query":"the cat sat on the","choices":["mat","dog"],"gold":0}"""]);
        var (code, output, _) = Run("eval", "--model", dir["model"], "--task", dir["mc.jsonl"], "--threads", "1", "--json");
        Assert.Equal(0, code);
        Assert.Contains("\"random_chance\": 0.5", output);
        Assert.True(File.Exists(Path.Combine(dir["model"], "eval", "mc.json")));
    }

    [Fact]
    public void A_piped_table_keeps_each_row_on_one_line()
    {
        using var dir = new TempDir();
        TinyBase.Save(dir["model"], TinyBase.Tokenizer());
        const string name = "a_task_file_whose_name_makes_the_row_of_the_results_table_wider_than_eighty_columns";
        File.WriteAllLines(dir[name + ".jsonl"], ["""{"query":"the cat sat on the","choices":["mat","dog"],"gold":0}"""]);
        var (code, output, _) = Run("eval", "--model", dir["model"], "--task", dir[name + ".jsonl"], "--threads", "1");
        Assert.Equal(0, code);
        var row = output.Split('\n').Single(line => line.Contains(name, StringComparison.Ordinal));
        Assert.True(row.Length > 80 && row.Contains("0.5000", StringComparison.Ordinal), output);
    }

    [Fact]
    public void Sft_skips_bad_records_when_asked_and_reports_the_count()
    {
        using var dir = new TempDir();
        TinyBase.Save(dir["base"], TinyBase.Tokenizer());
        File.WriteAllLines(dir["d.jsonl"], [
            """{"question":"two plus two?","answer":"four"}""", """{"question":"q"}""", """{"question":"one?","answer":"one"}""",
        ]);
        string[] args = ["sft", "--base", dir["base"], "--data", dir["d.jsonl"], "--out", dir["out"], "--steps", "2", "--threads", "1"];
        var (failed, _, err) = Run(args);
        Assert.Equal(1, failed);
        Assert.Contains($"{dir["d.jsonl"]}:2: unknown record format", err);

        var (code, output, _) = Run([.. args, "--skip-bad"]);
        Assert.Equal(0, code);
        Assert.Matches(@"skipped malformed records\s*│ 1", output);
        Assert.True(File.Exists(Path.Combine(dir["out"], "model", "chat_template.json")));
    }
}

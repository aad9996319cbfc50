using System.Text.Json;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Tests.Inspection;

public class InspectCliTests
{
    static (int Code, string Output) Run(params string[] args)
    {
        var (code, output, _) = Cli.CliRun.Run(args);
        return (code, output);
    }

    static void SaveTinyCheckpoint(string dir)
    {
        using var inspector = TinyModels.Inspector(seed: 31);
        Checkpoint.Save(dir, inspector.Model, inspector.Tokenizer, "base");
    }

    [Fact]
    public void Every_inspect_verb_prints_json_for_a_saved_checkpoint()
    {
        using var tmp = new TempDir();
        var model = tmp["model"];
        SaveTinyCheckpoint(model);
        string[][] verbs =
        [
            ["tokens", "我爱吃苹果。", "--out", tmp["tokens.png"]],
            ["embedding", "果", "--top", "3", "--out", tmp["embedding.png"]],
            ["similarity", "cat", "mat"],
            ["context", "--word", "苹果", "我爱吃苹果。", "苹果公司发布了新手机。", "--out", tmp["context.png"]],
            ["attention", "the cat sat because it was tired.", "--focus", "it", "--layer", "1", "--out", tmp["attention.png"]],
            ["next", "我爱吃苹", "--top", "4", "--out", tmp["next.png"]],
            ["lens", "the cat sat on the"],
        ];
        foreach (var verb in verbs)
        {
            var (code, output) = Run(["inspect", .. verb, "--model", model, "--json", "--threads", "1"]);
            Assert.True(code == 0, $"inspect {verb[0]} exited {code}: {output}");
            using var json = JsonDocument.Parse(output);
            Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
        }
        using (var next = JsonDocument.Parse(Run("inspect", "next", "我爱吃苹", "--top", "4", "--model", model, "--json", "--threads", "1").Output))
            Assert.Equal(4, next.RootElement.GetProperty("rows").GetArrayLength());
        Assert.All(new[] { "context.png", "attention.png", "next.png", "tokens.png", "embedding.png" }, f => Assert.True(new FileInfo(tmp[f]).Length > 1000));
    }

    [Fact]
    public void Bad_input_is_one_error_line_and_exit_code_1()
    {
        using var tmp = new TempDir();
        var model = tmp["model"];
        SaveTinyCheckpoint(model);
        Assert.Equal(1, Run("inspect", "attention", "the cat", "--layer", "7", "--model", model, "--threads", "1").Code);
        Assert.Equal(1, Run("inspect", "context", "--word", "dog", "the cat", "the mat", "--model", model, "--threads", "1").Code);
        Assert.Equal(1, Run("inspect", "lens", "the cat", "--model", tmp["missing"], "--threads", "1").Code);
        Assert.Equal(0, Run("inspect", "tokens", "the cat", "--model", model, "--threads", "1").Code);      // the table view runs
    }
}

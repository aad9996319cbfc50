using SharpLM.Inference;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Tests.Inference;

public sealed class InferenceCliTests : IDisposable
{
    readonly TempDir _tmp = new();
    readonly TinyLm _lm = TinyLm.Create();

    public void Dispose() => _tmp.Dispose();

    string Save(bool chatTemplate)
    {
        var dir = _tmp[chatTemplate ? "sft" : "base"];
        Checkpoint.Save(dir, _lm.Model, _lm.Tokenizer, stage: "test",
            extra: chatTemplate ? d => new ChatTemplate(_lm.Tokenizer).Save(d) : null);
        return dir;
    }

    static (int Code, string Out, string Err) Run(string input, params string[] args) => Cli.CliRun.WithInput(input, args);

    [Theory]
    [InlineData(null, "fp32")] // auto: a model this small decodes fastest in fp32
    [InlineData("bf16", "bf16")]
    public void Generate_prints_the_greedy_continuation_in_the_chosen_precision(string? option, string precision)
    {
        var dir = Save(chatTemplate: false);
        string[] args = ["generate", "--model", dir, "--max-tokens", "6", "--temperature", "0", "--threads", "1", "hello"];
        var (code, output, error) = Run("", option is null ? args : [.. args, "--precision", option]);
        Assert.Equal(0, code);
        var generator = new Generator(_lm.Model, _lm.Tokenizer, ComputePrecision.TypeOf(precision));
        var expected = generator.Generate([generator.EncodePrompt("hello")],
            new GenerationOptions(MaxNewTokens: 6, Sampling: SamplingOptions.Greedy))[0].Text;
        Assert.Equal(expected + Environment.NewLine, output);
        Assert.Contains("6 tokens", error);
        Assert.Contains(precision, error);
    }

    [Fact]
    public void Show_probs_prints_five_candidates_per_token_and_samples_are_numbered()
    {
        var dir = Save(chatTemplate: false);
        var (code, output, _) = Run("", "generate", "--model", dir, "--max-tokens", "3", "--show-probs", "--threads", "1", "hi");
        Assert.Equal(0, code);
        var rows = output.Split('\n').Where(l => l.Contains('│')).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(5, r.Split('│')[1].Split("  ", StringSplitOptions.RemoveEmptyEntries).Length));

        (code, output, _) = Run("", "generate", "--model", dir, "--max-tokens", "3", "--num-samples", "3", "--threads", "1", "hi");
        Assert.Equal(0, code);
        Assert.Contains("sample 3 of 3", output);
    }

    [Fact]
    public void Bad_sampling_options_fail_with_the_option_name()
    {
        var dir = Save(chatTemplate: false);
        var (code, _, error) = Run("", "generate", "--model", dir, "--top-p", "1.5", "x");
        Assert.Equal(1, code);
        Assert.Contains("--top-p", error);
        (code, _, error) = Run("", "generate", "--model", dir, "--precision", "int4", "x");
        Assert.NotEqual(0, code);
        Assert.Contains("int4", error);
    }

    [Fact]
    public void Chat_uses_the_template_and_understands_its_commands_when_piped()
    {
        var dir = Save(chatTemplate: true);
        var (code, output, error) = Run("hello\n/temperature 0\n/probs on\nhow are you\n/bogus\n/reset\nbye\n/exit\nnot read\n",
            "chat", "--model", dir, "--max-tokens", "4", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("chat template found", output);
        Assert.Contains("(temperature 0)", output);
        Assert.Contains("(conversation cleared)", output);
        Assert.Contains("unknown or malformed command '/bogus'", output);
        Assert.Equal(3, output.Split("model> ").Length - 1);
        Assert.True(output.Split('\n').Count(l => l.Contains('│')) is > 0 and <= 8, output); // /probs on: the last two answers
    }

    [Fact]
    public void Chat_drops_the_oldest_turns_when_the_conversation_outgrows_the_context()
    {
        var dir = Save(chatTemplate: true);
        var (code, output, error) = Run("a long first message here\nanother message\nand a third\n",
            "chat", "--model", dir, "--max-tokens", "8", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("dropped the", output);
    }
}

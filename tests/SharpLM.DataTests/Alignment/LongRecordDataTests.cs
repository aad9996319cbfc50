using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SharpLM.DataTests.Alignment;

/// <summary>The public GSM8K training set on a context-256 model: long questions are skipped and counted, the run goes on.</summary>
public sealed class LongRecordDataTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>An untrained context-256 chat model over a byte-level BPE of 1,000 ids learned from GSM8K questions.</summary>
    string Policy()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 3));
        var questions = PromptReader.Read([SharedData.Path("sft/en/gsm8k_train_7473.jsonl.gz")]).Take(1500).Select(p => p.Prompt[0].Content);
        var tokenizer = BpeTrainer.Train(questions, new BpeTrainingOptions(1000));
        manual_seed(3);
        using var model = new Gpt(new GptConfig(tokenizer.VocabSize, 256, 1, 32, 2, 2));
        var dir = _tmp["sft"];
        Checkpoint.Save(dir, model, tokenizer, "sft", new ChatTemplate(tokenizer).Save);
        return dir;
    }

    [DataFact]
    public void Grpo_on_gsm8k_train_with_a_context_256_model_runs_and_reports_the_prompts_it_skipped()
    {
        var data = SharedData.Path("sft/en/gsm8k_train_7473.jsonl.gz");
        var (code, stdout, stderr) = CliRun.Run("grpo", "--policy", Policy(), "--prompts", data, "--reward", "number",
            "--out", _tmp["grpo"], "--steps", "2", "--rollouts", "2", "--max-tokens", "64", "--checkpoint-every", "2", "--threads", "1");
        output.WriteLine(stdout);
        Assert.True(code == 0, stderr);
        var line = stdout.Split('\n').Single(l => l.StartsWith("grpo: skipped ", StringComparison.Ordinal));
        Assert.Matches(@"^grpo: skipped [1-9][\d,]* of 7,473 prompts longer than 192 tokens$", line.TrimEnd());
        Assert.True(File.Exists(Path.Combine(_tmp["grpo"], "model", "model.safetensors")));
    }
}

using System.Globalization;

namespace SharpLM.Tests.Alignment;

public sealed class AlignmentCliTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    static (int Code, string Out, string Err) Run(params string[] args) => Cli.CliRun.Run(args);

    [Fact]
    public void Reward_train_then_score_ranks_the_polite_answer_higher_and_ppo_uses_it()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var data = TinyRlhf.PolitePairs(_tmp, 120);
        var (code, output, error) = Run("reward", "train", "--base", sft, "--data", data, "--out", _tmp["rm"], "--steps", "20",
            "--batch-size", "16", "--lr", "3e-3", "--warmup", "2", "--eval-every", "20", "--val-fraction", "0.25", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("held out (30 pairs): accuracy", output);
        float Score(string answer)
        {
            var (c, o, e) = Run("reward", "score", "--model", _tmp["rm"], "--prompt", "q ab?", "--response", answer, "--threads", "1");
            Assert.True(c == 0, e);
            return float.Parse(o.Trim(), CultureInfo.InvariantCulture);
        }
        Assert.True(Score("cd ef thanks") > Score("cd ef now"));

        File.WriteAllLines(_tmp["prompts.txt"], ["q ab?", "q cd?"]);
        (code, output, error) = Run("ppo", "--policy", sft, "--prompts", _tmp["prompts.txt"], "--reward", _tmp["rm"], "--out", _tmp["ppo"],
            "--steps", "2", "--rollouts", "2", "--mini-batch", "2", "--max-tokens", "4", "--kl-coef", "0.1", "--target-kl", "1", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("done: iteration 1 → 2: mean reward", output);
        Assert.True(File.Exists(Path.Combine(_tmp["ppo"], "model", SharpLM.Alignment.Critic.FileName)));
    }

    [Fact]
    public void Dpo_and_grpo_run_from_the_command_line()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var data = TinyRlhf.PolitePairs(_tmp, 40);
        var (code, output, error) = Run("dpo", "--base", sft, "--data", data, "--out", _tmp["dpo"], "--steps", "4", "--batch-size", "8",
            "--lr", "3e-3", "--warmup", "1", "--eval-every", "4", "--beta", "0.1", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("mean margin 0.0000 →", output);
        File.WriteAllLines(_tmp["prompts.txt"], ["q ab?", "q cd?"]);
        (code, output, error) = Run("grpo", "--policy", _tmp["dpo"], "--prompts", _tmp["prompts.txt"], "--reward", "format:.*a.*",
            "--out", _tmp["grpo"], "--steps", "2", "--rollouts", "2", "--group", "3", "--max-tokens", "4", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("done: iteration 1 → 2: mean reward", output);
    }

    [Fact]
    public void A_malformed_preference_file_exits_1_naming_file_and_line()
    {
        var sft = TinyRlhf.Sft(_tmp);
        var bad = _tmp["bad.jsonl"];
        File.WriteAllText(bad, "{\"prompt\": \"x\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"x\", \"chosen\": \"a\"}\n");
        var (code, _, error) = Run("dpo", "--base", sft, "--data", bad, "--out", _tmp["dpo"], "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains($"{bad}:2: rejected: missing", error);
    }
}

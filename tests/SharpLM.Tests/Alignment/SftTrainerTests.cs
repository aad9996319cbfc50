using SharpLM.Alignment;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Evaluation;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Tests.Alignment;

public class SftTrainerTests
{
    static readonly (string Q, string A)[] Facts =
    [
        ("capital of france?", "paris"), ("capital of italy?", "rome"), ("two plus two?", "four"),
        ("color of the sky?", "blue"), ("opposite of hot?", "cold"), ("first letter?", "a"),
    ];

    static string WriteFacts(TempDir dir)
    {
        var path = dir["facts.jsonl"];
        File.WriteAllLines(path, Facts.Select(f => $$"""{"instruction":"{{f.Q}}","input":"","output":"{{f.A}}"}"""));
        return path;
    }

    [Fact]
    public void Tiny_model_fine_tuned_on_instructions_answers_them_greedily()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1));
        using var dir = new TempDir();
        var tokenizer = TinyBase.Tokenizer();
        TinyBase.Save(dir["base"], tokenizer);
        var result = new SftTrainer(new SftOptions(dir["base"], [WriteFacts(dir)], dir["sft"], Steps: 150, Lr: 1e-2,
            BatchTokens: 512, ValFraction: 0, EvalEvery: 1000, SaveEvery: 1000, Torch: new TorchSettings(Threads: 1),
            Precision: "fp32")).Run();

        Assert.Equal(150, result.Steps);
        using var loaded = RunFolder.LoadModel(dir["sft"]);
        Assert.NotNull(ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer));
        foreach (var (q, a) in Facts) Assert.Equal(a, TinyBase.Answer(loaded.Model, loaded.Tokenizer, q));

        // The same check through the generative evaluation, which saves its report into the run folder.
        File.WriteAllLines(dir["qa.jsonl"], Facts.Select(f => $$"""{"question":"{{f.Q}}","answer":"{{f.A}}"}"""));
        var report = Evaluator.Run(new EvalOptions(dir["sft"], [dir["qa.jsonl"]], MaxNewTokens: 20, Torch: new TorchSettings(Threads: 1)))[0];
        Assert.Equal(1.0, report.Metrics["accuracy"]);
        Assert.True(File.Exists(Path.Combine(dir["sft"], EvalReport.FolderName, "qa.json")));
    }

    [Fact]
    public void Prompt_positions_get_exactly_zero_gradient_and_trained_positions_do_not()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1));
        var tokenizer = TinyBase.Tokenizer();
        var template = new ChatTemplate(tokenizer);
        var conversation = template.Render([
            new(ChatMessage.User, "hi"), new(ChatMessage.Assistant, "hello"),
            new(ChatMessage.User, "why?"), new(ChatMessage.Assistant, "because"),
        ]);
        manual_seed(1);
        using var model = new Gpt(TinyBase.Config(tokenizer));
        var rows = SftPacker.Pack([conversation], conversation.Ids.Length, tokenizer.BosId);
        using var batch = SftBatch.From(rows, CPU);
        var logits = batch.Logits(model).detach().requires_grad_(true);                              // (1, T, V)
        Gpt.CrossEntropy(logits, batch.Y).backward();
        var perPosition = logits.grad!.abs().sum(-1)[0];                                              // (T)
        for (int t = 0; t < conversation.Ids.Length - 1; t++)
        {
            bool trained = conversation.Mask[t + 1] == 1;
            Assert.Equal(trained, perPosition[t].item<float>() > 0);
        }
        Assert.Equal(conversation.TrainedTokens, (int)batch.Y.ne(Gpt.IgnoreIndex).sum().item<long>());
    }

    [Fact]
    public void Packed_conversations_score_as_if_each_were_alone()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1));
        var tokenizer = TinyBase.Tokenizer();
        var template = new ChatTemplate(tokenizer);
        var a = template.Render([new(ChatMessage.User, "capital of france?"), new(ChatMessage.Assistant, "paris")]);
        var b = template.Render([new(ChatMessage.User, "two plus two?"), new(ChatMessage.Assistant, "four")]);
        manual_seed(1);
        using var model = new Gpt(TinyBase.Config(tokenizer));
        int row = a.Ids.Length + b.Ids.Length + 3;
        var packed = SftPacker.Pack([a, b], row, tokenizer.BosId);
        Assert.Single(packed);
        double together = SftTrainer.Loss(model, packed, CPU);
        double alone = (SftTrainer.Loss(model, SftPacker.Pack([a], row, 0), CPU) * a.TrainedTokens
                        + SftTrainer.Loss(model, SftPacker.Pack([b], row, 0), CPU) * b.TrainedTokens)
                       / (a.TrainedTokens + b.TrainedTokens);
        Assert.Equal(alone, together, 5);
    }

    [Fact]
    public void Resume_after_kill_reaches_identical_weights()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1));
        using var dir = new TempDir();
        var tokenizer = TinyBase.Tokenizer();
        TinyBase.Save(dir["base"], tokenizer);
        var data = WriteFacts(dir);
        SftOptions Options(string outDir, bool resume = false) => new(dir["base"], [data], outDir, Steps: 6, Lr: 3e-3,
            BatchTokens: 64, ValFraction: 0.2, EvalEvery: 2, SaveEvery: 3, Resume: resume, Torch: new TorchSettings(Threads: 1));

        new SftTrainer(Options(dir["straight"])).Run();
        var kill = new Progress(u => { if (u.Done == 3) throw new OperationCanceledException("killed"); });
        Assert.Throws<OperationCanceledException>(() => new SftTrainer(Options(dir["resumed"]), kill).Run());
        var resumed = new SftTrainer(Options(dir["resumed"], resume: true)).Run();

        Assert.Equal(6, resumed.Steps);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir["straight"], "model", Checkpoint.WeightsFile)),
            File.ReadAllBytes(Path.Combine(dir["resumed"], "model", Checkpoint.WeightsFile)));
        var e = Assert.Throws<SharpLmException>(() => new SftTrainer(Options(dir["resumed"])).Run());
        Assert.Contains("--resume", e.Message);
    }

    [Fact]
    public void Replay_mixes_pretraining_text_and_logs_retention_before_and_after()
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1));
        using var dir = new TempDir();
        var text = string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog ran to the park. ", 40));
        var tokenizer = TinyBase.Tokenizer(text);
        TinyBase.Save(dir["base"], tokenizer, context: 32);
        File.WriteAllText(dir["pretrain.txt"], text);
        var result = new SftTrainer(new SftOptions(dir["base"], [WriteFacts(dir)], dir["sft"], Steps: 4, Lr: 1e-3,
            BatchTokens: 128, ValFraction: 0.2, Replay: [dir["pretrain.txt"]], ReplayFraction: 0.5, EvalEvery: 2,
            Torch: new TorchSettings(Threads: 1))).Run();

        Assert.NotNull(result.RetentionLossBefore);
        Assert.NotNull(result.RetentionLossAfter);
        var records = new MetricsLog(Path.Combine(dir["sft"], MetricsLog.FileName)).Read().ToList();
        var data = records.Single(r => r["kind"]!.GetValue<string>() == "data");
        Assert.Equal(2, data["replay_rows_per_step"]!.GetValue<int>());
        Assert.Equal(2, data["sft_rows_per_step"]!.GetValue<int>());
        var retention = records.Single(r => r["kind"]!.GetValue<string>() == "retention");
        Assert.Equal(result.RetentionLossBefore, retention["pretrain_val_loss_before"]!.GetValue<double>());
    }

    sealed class Progress(Action<ProgressUpdate> report) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => report(value);
    }
}

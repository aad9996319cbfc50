using System.Text;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

/// <summary>A tiny corpus and a tiny model that train in well under a second per few dozen steps.</summary>
public static class TinyRun
{
    public static string Corpus(TempDir tmp, string name = "corpus.txt")
    {
        var text = new StringBuilder();
        for (int i = 0; i < 300; i++) text.Append($"line {i % 17}: the cat sat on the mat and the dog ate the frog.\n");
        var path = tmp[name];
        File.WriteAllText(path, text.ToString());
        return path;
    }

    // fp32 explicitly: runs compared bit for bit must not each measure their own precision.
    public static PretrainOptions Options(string corpus, string outDir, long steps = 30, long seed = 1337) =>
        new([corpus], "char", outDir, new ModelShape(Depth: 1, Context: 16, Width: 32, Heads: 2),
            Steps: steps, BatchSize: 4, Lr: 3e-3, WarmupSteps: 2, EvalEvery: 10, EvalBatches: 2, LogEvery: 5, Threads: 1, Seed: seed,
            Precision: "fp32");

    /// <summary>The same run as <see cref="Options"/>, as <c>sharplm pretrain</c> arguments.</summary>
    public static string[] CliArgs(string corpus, string outDir, long steps, bool resume = false, int evalEvery = 10) =>
    [
        "pretrain", "--data", corpus, "--tokenizer", "char", "--out", outDir, "--depth", "1", "--context", "16", "--width", "32",
        "--heads", "2", "--steps", steps.ToString(), "--batch-size", "4", "--lr", "3e-3", "--warmup", "2", "--eval-every", evalEvery.ToString(),
        "--eval-batches", "2", "--log-every", "5", "--threads", "1", "--seed", "1337", "--precision", "fp32", .. (resume ? new[] { "--resume" } : []),
    ];
}

using System.Globalization;
using SharpLM.Data;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Bench;

/// <summary>
/// A depth-6 model trained for a fixed wall-clock budget (20 minutes by default) on the English pretraining text in
/// shared/data/pretrain/en, with a BPE tokenizer of vocabulary 4,096 (<c>--tokenizer DIR</c>, from <c>sharplm tokenizer
/// train</c>; <c>--tokenizer char</c> trains a character-level one instead). A short probe run measures tokens/s so the
/// schedule (warmup-stable-decay) ends when the budget does; the time limit stops it regardless. Reports validation bits
/// per byte and sampled text.
/// </summary>
public sealed class PretrainBpeBench : IBenchmark
{
    public string Name => "bpe20";
    public string Description => "depth-6 model, fixed time budget on shared English text: val bits/byte and samples [--tokenizer DIR|char --minutes N --threads N]";

    public int Run(string[] args)
    {
        var tokenizerArg = Machine.Arg(args, "--tokenizer", "");
        if (tokenizerArg.Length == 0)
        {
            Console.Error.WriteLine("bpe20: give --tokenizer DIR (a BPE tokenizer of vocabulary 4,096) or --tokenizer char");
            return 2;
        }
        double minutes = double.Parse(Machine.Arg(args, "--minutes", "20"), CultureInfo.InvariantCulture);
        int threads = int.Parse(Machine.Arg(args, "--threads", "2"), CultureInfo.InvariantCulture);
        var root = Machine.Arg(args, "--out", Path.Combine(Path.GetTempPath(), $"sharplm-bpe20-{Guid.NewGuid():N}"));
        var corpus = SharedData.Path("pretrain/en");
        Console.WriteLine($"load average before: {Machine.LoadAverage()}");

        // Tokenize once; the probe and the timed run share the prepared data.
        var tokenizerDir = tokenizerArg;
        var tokenizer = tokenizerArg == "char"
            ? CharTokenizer.Train(CorpusReader.ReadDocuments([corpus]).Select(d => d.Text))
            : Tokenizer.Load(tokenizerArg);
        if (tokenizerArg == "char")
        {
            tokenizerDir = Path.Combine(root, "tokenizer");
            Directory.CreateDirectory(tokenizerDir);
            tokenizer.Save(tokenizerDir);
        }
        var dataDir = Path.Combine(root, "data");
        TokenDataset.Prepare([corpus], tokenizer, TokenizerFingerprint.Of(tokenizer), dataDir);

        PretrainOptions Options(string outDir, long steps) => new(
            [dataDir], tokenizerDir, outDir, new ModelShape(Depth: 6, Context: 256),
            Steps: steps, BatchSize: 8, Lr: 3e-3, MinLr: 3e-4, WarmupSteps: Math.Max(1, steps / 20), Schedule: ScheduleKind.WarmupStableDecay,
            Beta2: 0.95, Threads: threads, Seed: 1337, EvalEvery: (int)Math.Max(50, steps / 4), EvalBatches: 10, LogEvery: 10,
            SamplePrompts: ["The ", "Once upon a time", "\n"], TimeLimitSeconds: minutes * 60);

        var probe = new Pretrainer().Run(Options(Path.Combine(root, "probe"), 4) with { EvalBatches = 1 });
        long budgetSteps = Math.Max(10, (long)(minutes * 60 * probe.TokensPerSecond * 0.9 / (8 * 256)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"probe: {probe.TokensPerSecond:N0} tok/s → {budgetSteps} steps planned for {minutes} min"));

        var result = new Pretrainer(log: Console.WriteLine).Run(Options(Path.Combine(root, "run"), budgetSteps));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bpe20 ({tokenizerArg}, vocab {tokenizer.VocabSize}): {result.Steps} steps in {result.Seconds / 60:F1} min, val loss {result.Val!.Loss:F4}, " +
            $"val bits/byte {result.Val.BitsPerByte:F4}, {result.TokensPerSecond:N0} tok/s, MFU {100 * result.Mfu:F1}%, {threads} thread(s), " +
            $"load average after: {Machine.LoadAverage()}; run folder {Path.Combine(root, "run")}"));
        return 0;
    }
}

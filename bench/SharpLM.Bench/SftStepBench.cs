using System.Diagnostics;
using SharpLM.Alignment;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Bench;

/// <summary>
/// Training throughput of SFT batches: rows packed with several conversations (per-conversation attention mask) against the
/// same rows with one segment each (plain causal attention), forward + backward. Shows what the packing mask costs.
/// Args: [depth=2] [context=256] [rows=8] [reps=5] [threads=0].
/// </summary>
public sealed class SftStepBench : IBenchmark
{
    public string Name => "sft-step";
    public string Description => "SFT forward+backward tokens/s: packed rows with per-conversation mask vs plain causal";

    public int Run(string[] args)
    {
        int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i]) : fallback;
        int depth = Arg(0, 2), context = Arg(1, 256), rows = Arg(2, 8), reps = Arg(3, 5), threads = Arg(4, 0);
        TorchRuntime.Apply(new TorchSettings(Threads: threads));
        var tokenizer = CharTokenizer.Train(["abcdefghijklmnopqrstuvwxyz ?."]);
        var template = new ChatTemplate(tokenizer);
        var conversation = template.Render([new(ChatMessage.User, "what is the capital of france?"), new(ChatMessage.Assistant, "it is paris.")]);
        using var model = new Gpt(GptConfig.FromDepth(depth, tokenizer.VocabSize, context));
        var packed = SftPacker.Pack(Enumerable.Repeat(conversation, rows * (context + 1) / conversation.Ids.Length), context + 1, tokenizer.BosId)
            .Take(rows).ToList();
        var single = packed.Select(r => r with { Segment = new int[r.Segment.Length] }).ToList();
        Console.WriteLine($"depth {depth}, context {context}, {rows} rows, {packed[0].Segment.Max() + 1} segments per row, threads {get_num_threads()}");
        foreach (var (name, batchRows) in new[] { ("packed, per-conversation mask", packed), ("one segment, causal", single) })
        {
            double Time()
            {
                using var scope = NewDisposeScope();
                var batch = SftBatch.From(batchRows, CPU);
                var clock = Stopwatch.StartNew();
                Gpt.CrossEntropy(batch.Logits(model), batch.Y).backward();
                model.zero_grad();
                return clock.Elapsed.TotalSeconds;
            }
            Time(); // warm-up
            var seconds = Enumerable.Range(0, reps).Select(_ => Time()).Order().ToList();
            Console.WriteLine($"{name,-32} median {seconds[reps / 2] * 1000,8:F1} ms  {rows * context / seconds[reps / 2],10:N0} tok/s");
        }
        return 0;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Bench;

/// <summary>
/// Tokenizer training time on a corpus folder, then encoding throughput (MB of UTF-8 per second) of the trained tokenizer
/// and of cl100k_base, on one thread and on all cores (documents in parallel through <see cref="Tokenizer.EncodeBatch"/>).
/// </summary>
sealed class TokenizerBenchmark : IBenchmark
{
    public string Name => "tokenizer";
    public string Description => "BPE training time (vocab 4,096 on shared/data/pretrain) and encoding MB/s, ours vs cl100k_base";

    public int Run(string[] args)
    {
        var data = Machine.Arg(args, "--data", SharedData.Path("pretrain"));
        int vocab = int.Parse(Machine.Arg(args, "--vocab-size", "4096"), CultureInfo.InvariantCulture);
        Console.WriteLine($"corpus {data}, vocab {vocab}, {Environment.ProcessorCount} cores, load {Machine.LoadAverage()}");

        var clock = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var trained = BpeTrainer.TrainOnFiles([data], new BpeTrainingOptions(vocab));
        var train = clock.Elapsed.TotalSeconds;
        var trainCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        var t = trained.Training!;
        Console.WriteLine($"train: {train:F2} s wall, {trainCpu:F2} CPU-seconds ({t.CountSeconds:F2} s counting {t.Bytes / 1e6:F1} MB, " +
                          $"{t.UniqueChunks:N0} unique chunks; {t.MergeSeconds:F2} s for {t.Merges:N0} merges)");

        var docs = CorpusReader.ReadDocuments([data]).Select(d => d.Text).ToList();
        double mb = docs.Sum(d => (double)Encoding.UTF8.GetByteCount(d)) / 1e6;
        Console.WriteLine($"encode: {docs.Count:N0} documents, {mb:F1} MB");
        // MB per CPU-second is less sensitive than wall-clock MB/s to other processes on the machine.
        Console.WriteLine("| tokenizer | threads | MB/s (wall) | MB per CPU-second | tokens | bytes/token |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, tok) in new (string, Tokenizer)[] { ($"ours ({vocab})", trained), ("cl100k_base", PublishedEncodings.Load("cl100k_base")) })
        {
            tok.EncodeBatch(docs.Take(200).ToList()); // JIT and regex warm-up
            foreach (var threads in new[] { 1, Environment.ProcessorCount })
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                clock.Restart();
                var ids = tok.EncodeBatch(docs, threads: threads);
                var seconds = clock.Elapsed.TotalSeconds;
                var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                long tokens = ids.Sum(x => (long)x.Length);
                Console.WriteLine($"| {name} | {threads} | {mb / seconds:F1} | {mb / cpuSeconds:F1} | {tokens:N0} | {mb * 1e6 / tokens:F2} |");
            }
        }
        Console.WriteLine($"load after: {Machine.LoadAverage()}");
        return 0;
    }
}

using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>
/// Counts each distinct chunk of a document stream once (chunk → occurrences), so the merge loop works on unique chunks
/// and never rescans the corpus. Documents are read on the calling thread and counted in batches by worker threads, each
/// into its own dictionary (looked up by span, so repeated chunks allocate nothing); the dictionaries are summed at the end.
/// </summary>
sealed class ChunkCounter(ChunkSplitter splitter)
{
    public sealed record Result(Dictionary<string, long> Counts, long Documents, long Bytes, long Chunks);

    const int BatchChars = 1 << 20;

    public Result Count(IEnumerable<string> documents, int threads)
    {
        threads = threads <= 0 ? Environment.ProcessorCount : threads;
        using var batches = new BlockingCollection<List<string>>(boundedCapacity: threads * 2);
        var workers = Enumerable.Range(0, threads)
            .Select(_ => Task.Factory.StartNew(() => CountBatches(batches), TaskCreationOptions.LongRunning)).ToArray();
        long documentsRead = 0;
        try
        {
            var batch = new List<string>();
            int chars = 0;
            foreach (var doc in documents)
            {
                documentsRead++;
                batch.Add(doc);
                chars += doc.Length;
                if (chars < BatchChars) continue;
                if (!TryAdd(batches, batch, workers)) break;
                batch = [];
                chars = 0;
            }
            if (batch.Count > 0) TryAdd(batches, batch, workers);
        }
        finally
        {
            batches.CompleteAdding();
            try { Task.WaitAll(workers); }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]); // keep the worker's stack trace
            }
        }
        var parts = workers.Select(w => w.Result).ToList();
        var counts = parts.MaxBy(p => p.Counts.Count)!.Counts;
        foreach (var part in parts.Where(p => p.Counts != counts))
            foreach (var (chunk, n) in part.Counts)
                CollectionsMarshal.GetValueRefOrAddDefault(counts, chunk, out _) += n;
        return new Result(counts, documentsRead, parts.Sum(p => p.Bytes), parts.Sum(p => p.Chunks));
    }

    // A worker that failed ends early; stop feeding then so its exception surfaces instead of a blocked Add.
    static bool TryAdd(BlockingCollection<List<string>> batches, List<string> batch, Task[] workers)
    {
        while (!batches.TryAdd(batch, 100))
            if (workers.Any(w => w.IsFaulted)) return false;
        return true;
    }

    sealed record Part(Dictionary<string, long> Counts, long Bytes, long Chunks);

    Part CountBatches(BlockingCollection<List<string>> batches)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var chunks = new List<(int Offset, int Length)>();
        long bytes = 0, total = 0;
        foreach (var batch in batches.GetConsumingEnumerable())
            foreach (var raw in batch)
            {
                var doc = ChunkSplitter.ReplaceLoneSurrogates(raw);
                bytes += System.Text.Encoding.UTF8.GetByteCount(doc);
                chunks.Clear();
                splitter.Split(doc, chunks);
                total += chunks.Count;
                foreach (var (offset, length) in chunks)
                    CollectionsMarshal.GetValueRefOrAddDefault(lookup, doc.AsSpan(offset, length), out _)++;
            }
        return new Part(counts, bytes, total);
    }
}

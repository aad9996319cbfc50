using System.Collections.Concurrent;
using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Serving;

/// <summary>
/// Continuous batching for one model on one thread: up to <c>slots</c> jobs generate together, one decode step per tick
/// across all of them (<see cref="DecodeBatch"/>: each slot its own KV cache row and position); a new job joins at the next
/// tick (its prompt prefilled alone), a finished or cancelled one leaves. Jobs beyond the free slots wait in a bounded
/// queue; when it is full <see cref="TryEnqueue"/> refuses (the API answers 503). Everything that touches the model runs on
/// this thread — <see cref="Gpt.FuseForInference"/> is per-model state and not thread-safe — including inspection work
/// (<see cref="RunAsync{T}"/>), which runs between ticks with the model unfused.
/// </summary>
public sealed class Scheduler : IDisposable
{
    readonly Gpt _model;
    readonly Tokenizer _tokenizer;
    readonly ScalarType _precision;
    readonly int _slots, _queueLimit;
    readonly ServingMetrics _metrics;
    readonly ConcurrentQueue<GenerationJob> _queue = new();
    readonly ConcurrentQueue<Action> _work = new();
    readonly SemaphoreSlim _wake = new(0);
    readonly Thread _thread;
    readonly Lock _admission = new();
    int _queued, _active;
    volatile bool _stopping;
    Exception? _stopReason;

    sealed record Slot(GenerationJob Job, RowDecoder Decoder);

    public Scheduler(Gpt model, Tokenizer tokenizer, ScalarType precision, int slots, int queue, ServingMetrics metrics, string name)
    {
        _tokenizer = tokenizer;
        if (slots < 1) throw new SharpLmException($"--parallel must be at least 1 (got {slots})");
        if (queue < 0) throw new SharpLmException($"--queue must be 0 or more (got {queue})");
        (_model, _precision, _slots, _queueLimit, _metrics) = (model, precision, slots, queue, metrics);
        Interlocked.Add(ref _metrics.Slots, slots);
        _thread = new Thread(Loop) { IsBackground = true, Name = $"sharplm-scheduler-{name}" };
        _thread.Start();
    }

    public int Slots => _slots;

    /// <summary>Queues all <paramref name="jobs"/> (the n choices of one request) or none: false when the queue has no room.</summary>
    public bool TryEnqueue(IReadOnlyList<GenerationJob> jobs)
    {
        lock (_admission)
        {
            if (_stopping) return false;
            if (_queued + jobs.Count > _queueLimit + _slots - Volatile.Read(ref _active)) return false; // free slots count as room
            _queued += jobs.Count;
            foreach (var job in jobs) _queue.Enqueue(job);
        }
        Interlocked.Add(ref _metrics.Queued, jobs.Count);
        _wake.Release();
        return true;
    }

    /// <summary>Runs <paramref name="work"/> on the model's thread between ticks, with the model not fused.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_stopping) { done.SetException(new OperationCanceledException("the server is stopping")); return done.Task; }
        _work.Enqueue(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        });
        _wake.Release();
        return done.Task;
    }

    /// <summary>Ends every queued and running job with <paramref name="reason"/> and stops the thread.</summary>
    public void Stop(Exception reason)
    {
        lock (_admission)
        {
            _stopReason = reason;
            _stopping = true;
        }
        _wake.Release();
        _thread.Join();
    }

    public void Dispose()
    {
        if (!_stopping) Stop(new OperationCanceledException("the server stopped"));
        _wake.Dispose();
    }

    void Loop()
    {
        var slots = new List<Slot>();
        DecodeBatch? batch = null;
        IDisposable? fused = null;
        int V = _model.Config.VocabSize;
        try
        {
            while (!_stopping)
            {
                if (!_work.IsEmpty)
                {
                    fused?.Dispose();
                    fused = null;
                    while (_work.TryDequeue(out var work)) work();
                }

                while (slots.Count < _slots && _queue.TryDequeue(out var job))
                {
                    lock (_admission) _queued--;
                    Interlocked.Decrement(ref _metrics.Queued);
                    if (job.Cancel.IsCancellationRequested)
                    {
                        job.Fail(new OperationCanceledException(job.Cancel));
                        continue;
                    }
                    fused ??= _model.FuseForInference(_precision);
                    batch ??= new DecodeBatch(_model, _slots, _precision);
                    try
                    {
                        var decoder = NewDecoder(job);
                        var logits = batch.Join(job.Prompt);
                        var slot = new Slot(job, decoder);
                        slots.Add(slot);
                        Interlocked.Increment(ref _active);
                        Interlocked.Increment(ref _metrics.Active);
                        _metrics.FirstToken((Environment.TickCount64 - job.EnqueuedTicks) / 1000.0);
                        _metrics.Tokens(1);
                        if (Emit(slot, decoder.Next(logits))) Leave(batch, slots, [slots.Count - 1]);
                    }
                    catch (SharpLmException e)
                    {
                        job.Fail(e);
                    }
                }

                if (slots.Count == 0)
                {
                    _wake.Wait(1000);
                    continue;
                }

                var done = new List<int>();
                for (int b = 0; b < slots.Count; b++)
                    if (batch!.Full(b)) { Emit(slots[b], slots[b].Decoder.Stop(StopReason.ContextFull)); done.Add(b); }
                Leave(batch!, slots, done);
                if (slots.Count == 0) continue;

                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var logitsAll = batch!.Step(slots.Select(s => s.Decoder.Sequence[^1]).ToArray());
                _metrics.Step(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                done.Clear();
                for (int b = 0; b < slots.Count; b++)
                {
                    var slot = slots[b];
                    var piece = slot.Job.Cancel.IsCancellationRequested ? slot.Decoder.Stop(StopReason.Cancelled)
                        : slot.Decoder.Next(logitsAll.AsSpan(b * V, V));
                    if (Emit(slot, piece)) done.Add(b);
                }
                _metrics.Tokens(slots.Count);
                Leave(batch, slots, done);
            }
        }
        catch (Exception e)
        {
            _stopReason = new SharpLmException($"generation failed: {e.Message}");
            lock (_admission) _stopping = true;
        }
        finally
        {
            var reason = _stopReason ?? new OperationCanceledException("the server stopped");
            foreach (var slot in slots) slot.Job.Fail(reason);
            Interlocked.Add(ref _metrics.Active, -slots.Count);
            while (_queue.TryDequeue(out var job)) { job.Fail(reason); Interlocked.Decrement(ref _metrics.Queued); }
            while (_work.TryDequeue(out var work)) work();
            batch?.Dispose();
            fused?.Dispose();
        }
    }

    RowDecoder NewDecoder(GenerationJob job) =>
        new(_tokenizer, job.Prompt, job.Options, new Sampler(job.Options.SamplingOrDefault, new Random(unchecked((int)job.Options.Seed))),
            job.Options.StopTokenIds?.ToHashSet() ?? []);

    /// <summary>Sends a piece; true when it ended the job.</summary>
    bool Emit(Slot slot, StreamPiece piece)
    {
        if (piece.Stop == StopReason.Cancelled) _metrics.Cancelled();
        slot.Job.Write(piece);
        return piece.Stop is not null;
    }

    void Leave(DecodeBatch batch, List<Slot> slots, List<int> rows)
    {
        if (rows.Count == 0) return;
        batch.Leave(rows);
        foreach (var r in rows.OrderDescending()) slots.RemoveAt(r);
        Interlocked.Add(ref _active, -rows.Count);
        Interlocked.Add(ref _metrics.Active, -rows.Count);
    }
}

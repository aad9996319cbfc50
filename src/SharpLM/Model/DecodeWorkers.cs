namespace SharpLM.Model;

/// <summary>
/// A fixed team of threads that runs one piece of work split in <see cref="Size"/> parts, many times a token: the fused
/// decode step (<see cref="FusedDecoder"/>) splits ~25 small products per token over the cores, each a few microseconds,
/// where starting a <c>Parallel.For</c> costs about as much as the product. The caller runs part 0 itself; the other parts
/// run on threads that spin between parts (a token's parts follow each other within microseconds) and sleep on a monitor
/// after spinning a while without work, so an idle decoder costs no CPU. Not thread-safe: one caller at a time.
/// </summary>
public sealed class DecodeWorkers : IDisposable
{
    /// <summary>Spins (of ~tens of ns each) a worker waits for the next part before it sleeps.</summary>
    const int SpinsBeforeSleep = 20_000;

    readonly Thread[] _threads;
    readonly object _gate = new();
    Action<int>? _work;
    int _epoch, _pending, _sleepers;
    volatile bool _stopping;

    public DecodeWorkers(int size)
    {
        Size = Math.Max(1, size);
        _threads = new Thread[Size - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int part = i + 1;
            _threads[i] = new Thread(() => Loop(part)) { IsBackground = true, Name = $"sharplm-decode-{part}" };
            _threads[i].Start();
        }
    }

    /// <summary>Parts each piece of work is split into (the caller's thread included).</summary>
    public int Size { get; }

    /// <summary>Runs <paramref name="part"/>(0 … Size−1), one call per thread, and returns when all are done.</summary>
    public void Run(Action<int> part)
    {
        if (Size == 1) { part(0); return; }
        _work = part;
        Volatile.Write(ref _pending, Size - 1);
        Interlocked.Increment(ref _epoch); // a full fence: a worker that goes to sleep after this sees the new epoch
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);
        Exception? failure = null;
        try { part(0); }
        catch (Exception e) { failure = e; }
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(-1); // never yields to Sleep(1): parts take microseconds
        if (failure is not null) throw failure;
        if (_failure is { } workerFailure) { _failure = null; throw workerFailure; }
    }

    Exception? _failure;

    void Loop(int part)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _epoch) == seen && !_stopping && spins++ < SpinsBeforeSleep) Thread.SpinWait(8);
            if (Volatile.Read(ref _epoch) == seen && !_stopping)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _epoch) == seen && !_stopping) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_stopping) return;
            seen = Volatile.Read(ref _epoch);
            try { _work!(part); }
            catch (Exception e) { _failure = e; }
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var t in _threads) t.Join();
    }
}

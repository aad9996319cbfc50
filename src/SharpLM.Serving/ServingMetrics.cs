using System.Globalization;
using System.Text;

namespace SharpLM.Serving;

/// <summary>
/// Counters and gauges for <c>GET /metrics</c> in the Prometheus text format: requests by route and status, queued jobs,
/// active slots, generated tokens (total and per second over the last 10 s), a time-to-first-token histogram, the time the
/// model's decode steps take (the rest of a token's time is sampling, streaming and HTTP) and where the memory is.
/// </summary>
public sealed class ServingMetrics
{
    static readonly double[] TtftBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    readonly Lock _gate = new();
    readonly Dictionary<(string Route, int Status), long> _requests = [];
    readonly long[] _ttftCounts = new long[TtftBuckets.Length];
    readonly Queue<(long Ticks, int Tokens)> _recent = new();
    long _ttftCount, _tokens, _cancelled, _steps;
    double _ttftSum, _stepSeconds;

    public int Queued;
    public int Active;
    public int Slots;

    public void Request(string route, int status)
    {
        lock (_gate) _requests[(route, status)] = _requests.GetValueOrDefault((route, status)) + 1;
    }

    public void Cancelled() => Interlocked.Increment(ref _cancelled);

    public void FirstToken(double seconds)
    {
        lock (_gate)
        {
            _ttftCount++;
            _ttftSum += seconds;
            for (int i = 0; i < TtftBuckets.Length; i++) if (seconds <= TtftBuckets[i]) _ttftCounts[i]++;
        }
    }

    public void Tokens(int count)
    {
        lock (_gate)
        {
            _tokens += count;
            long now = Environment.TickCount64;
            _recent.Enqueue((now, count));
            while (_recent.Count > 0 && now - _recent.Peek().Ticks > 10_000) _recent.Dequeue();
        }
    }

    /// <summary>One decode step of the batch (the forward pass and the logits copy) took <paramref name="seconds"/>.</summary>
    public void Step(double seconds)
    {
        lock (_gate) { _steps++; _stepSeconds += seconds; }
    }

    public string Render()
    {
        var s = new StringBuilder();
        void Line(string text) => s.Append(text).Append('\n');
        string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            Line("# HELP sharplm_requests_total HTTP API requests by route and status.");
            Line("# TYPE sharplm_requests_total counter");
            foreach (var ((route, status), count) in _requests.OrderBy(r => r.Key.Route).ThenBy(r => r.Key.Status))
                Line($"sharplm_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}");
            Line("# HELP sharplm_queue_length Completions waiting for a slot.");
            Line("# TYPE sharplm_queue_length gauge");
            Line($"sharplm_queue_length {Volatile.Read(ref Queued)}");
            Line("# HELP sharplm_active_slots Slots generating now.");
            Line("# TYPE sharplm_active_slots gauge");
            Line($"sharplm_active_slots {Volatile.Read(ref Active)}");
            Line("# HELP sharplm_slots Slots in all (--parallel, over all models).");
            Line("# TYPE sharplm_slots gauge");
            Line($"sharplm_slots {Slots}");
            Line("# HELP sharplm_cancelled_total Completions stopped because their client went away.");
            Line("# TYPE sharplm_cancelled_total counter");
            Line($"sharplm_cancelled_total {Interlocked.Read(ref _cancelled)}");
            Line("# HELP sharplm_generated_tokens_total Tokens generated.");
            Line("# TYPE sharplm_generated_tokens_total counter");
            Line($"sharplm_generated_tokens_total {_tokens}");
            long now = Environment.TickCount64;
            double recent = _recent.Where(r => now - r.Ticks <= 10_000).Sum(r => r.Tokens);
            Line("# HELP sharplm_tokens_per_second Tokens generated per second over the last 10 s.");
            Line("# TYPE sharplm_tokens_per_second gauge");
            Line($"sharplm_tokens_per_second {N(recent / 10.0)}");
            Line("# HELP sharplm_time_to_first_token_seconds From request to its first generated token.");
            Line("# TYPE sharplm_time_to_first_token_seconds histogram");
            for (int i = 0; i < TtftBuckets.Length; i++)
                Line($"sharplm_time_to_first_token_seconds_bucket{{le=\"{N(TtftBuckets[i])}\"}} {_ttftCounts[i]}");
            Line($"sharplm_time_to_first_token_seconds_bucket{{le=\"+Inf\"}} {_ttftCount}");
            Line($"sharplm_time_to_first_token_seconds_sum {N(_ttftSum)}");
            Line($"sharplm_time_to_first_token_seconds_count {_ttftCount}");
            Line("# HELP sharplm_decode_step_seconds Decode steps of a batch: the forward pass over all active slots.");
            Line("# TYPE sharplm_decode_step_seconds summary");
            Line($"sharplm_decode_step_seconds_sum {N(_stepSeconds)}");
            Line($"sharplm_decode_step_seconds_count {_steps}");
        }
        Line("# HELP process_resident_memory_bytes Resident memory of the server process.");
        Line("# TYPE process_resident_memory_bytes gauge");
        Line($"process_resident_memory_bytes {ProcessMemory.ResidentBytes()}");
        var gc = GC.GetGCMemoryInfo();
        Line("# HELP dotnet_gc_heap_bytes The .NET GC heap after the last collection, and what the GC has committed.");
        Line("# TYPE dotnet_gc_heap_bytes gauge");
        Line($"dotnet_gc_heap_bytes{{kind=\"size\"}} {gc.HeapSizeBytes}");
        Line($"dotnet_gc_heap_bytes{{kind=\"committed\"}} {gc.TotalCommittedBytes}");
        if (Core.NativeAllocator.Heap() is { } heap)
        {
            Line("# HELP native_heap_bytes The native malloc heap (libtorch's tensors): in use, free but kept, mmapped.");
            Line("# TYPE native_heap_bytes gauge");
            Line($"native_heap_bytes{{kind=\"in_use\"}} {heap.InUse - heap.Mapped}"); // in the arenas, as before
            Line($"native_heap_bytes{{kind=\"free\"}} {heap.Free}");
            Line($"native_heap_bytes{{kind=\"mmapped\"}} {heap.Mapped}");
        }
        return s.ToString();
    }
}

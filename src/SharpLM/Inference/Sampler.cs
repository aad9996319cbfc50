namespace SharpLM.Inference;

/// <summary>
/// Picks the next token from one row of logits, on the CPU in C#: for a few thousand logits this is faster than a chain of
/// small tensor ops (each costs ~1.5 µs of TorchSharp overhead) and needs no round trip per scalar. Buffers are reused.
/// Order: penalties, then greedy argmax or temperature → top-k → top-p → min-p → draw.
/// </summary>
public sealed class Sampler
{
    readonly SamplingOptions _options;
    readonly Random _random;
    float[] _logits = [], _probs = [], _sortKeys = [];
    int[] _order = [];

    public Sampler(SamplingOptions options, Random random)
    {
        _options = options.Validate();
        _random = random;
    }

    /// <summary>Chooses a token. <paramref name="history"/> gives the counts the penalties need (null when no penalty is set).</summary>
    public int Next(ReadOnlySpan<float> logits, TokenHistory? history = null)
    {
        var o = _options;
        int V = logits.Length;
        if (_logits.Length != V) { _logits = new float[V]; _probs = new float[V]; }
        logits.CopyTo(_logits);
        if (history is not null) ApplyPenalties(_logits, history);
        if (o.IsGreedy) return ArgMax(_logits);

        // Softmax numerators relative to the best logit (which gets 1), so min-p compares against 1 directly.
        float max = _logits[ArgMax(_logits)];
        float invT = 1f / o.Temperature;
        for (int i = 0; i < V; i++) _probs[i] = MathF.Exp((_logits[i] - max) * invT);

        if ((o.TopK > 0 && o.TopK < V) || o.TopP < 1f) KeepTop(_probs, o.TopK > 0 ? Math.Min(o.TopK, V) : V, o.TopP);
        if (o.MinP > 0f)
            for (int i = 0; i < V; i++) if (_probs[i] < o.MinP) _probs[i] = 0f;

        double total = 0;
        for (int i = 0; i < V; i++) total += _probs[i];
        double r = _random.NextDouble() * total;
        int last = 0;
        for (int i = 0; i < V; i++)
        {
            if (_probs[i] == 0f) continue;
            last = i;
            r -= _probs[i];
            if (r < 0) return i;
        }
        return last; // rounding left a sliver: the last kept token
    }

    void ApplyPenalties(float[] logits, TokenHistory history)
    {
        float rep = _options.RepetitionPenalty, freq = _options.FrequencyPenalty;
        if (rep != 1f)
            foreach (var id in history.Seen)
                logits[id] = logits[id] > 0 ? logits[id] / rep : logits[id] * rep;
        float presence = _options.PresencePenalty;
        if (freq != 0f || presence != 0f)
            foreach (var (id, count) in history.Generated)
                logits[id] -= freq * count + presence;
    }

    /// <summary>Zeroes all but the <paramref name="k"/> largest, then all beyond the nucleus of mass <paramref name="p"/>.</summary>
    void KeepTop(float[] probs, int k, float p)
    {
        int V = probs.Length;
        if (_order.Length != V) { _order = new int[V]; _sortKeys = new float[V]; }
        // Sorting 4,096 floats per token costs more than the forward pass's small ops, so sort only the tokens within
        // 10⁻⁴ of the best when they provably hold the answer: at least k of them, or (no top-k) at least mass p.
        int m = 0;
        double total = 0, candidateMass = 0;
        for (int i = 0; i < V; i++)
        {
            total += probs[i];
            if (probs[i] < 1e-4f) continue;
            _order[m] = i; _sortKeys[m] = -probs[i]; m++;
            candidateMass += probs[i];
        }
        if (k < V ? m < k : candidateMass < p * total)
        {
            for (int i = 0; i < V; i++) { _order[i] = i; _sortKeys[i] = -probs[i]; }
            m = V;
        }
        Array.Sort(_sortKeys, _order, 0, m); // descending probability
        int keep = Math.Min(k, m);
        if (p < 1f)
        {
            double kept = 0;
            for (int i = 0; i < keep; i++) kept -= _sortKeys[i];
            double sum = 0;
            for (int i = 0; i < keep; i++)
            {
                sum -= _sortKeys[i];
                if (sum >= p * kept) { keep = i + 1; break; }
            }
        }
        Array.Clear(probs);
        for (int i = 0; i < keep; i++) probs[_order[i]] = -_sortKeys[i];
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>log Σ exp(logits), stable.</summary>
    public static float LogSumExp(ReadOnlySpan<float> logits)
    {
        float max = logits[ArgMax(logits)];
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return max + (float)Math.Log(sum);
    }

    /// <summary>The <paramref name="k"/> most likely tokens with their probabilities under softmax(logits), best first.</summary>
    public static TokenCandidate[] TopCandidates(ReadOnlySpan<float> logits, int k, float logSumExp)
    {
        k = Math.Min(k, logits.Length);
        var top = new TokenCandidate[k];
        int count = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (count == k && logits[i] <= logits[top[k - 1].Id]) continue;
            int at = Math.Min(count, k - 1);
            while (at > 0 && logits[top[at - 1].Id] < logits[i]) { top[at] = top[at - 1]; at--; }
            top[at] = new TokenCandidate(i, 0f);
            if (count < k) count++;
        }
        for (int j = 0; j < k; j++) top[j] = top[j] with { Probability = MathF.Exp(logits[top[j].Id] - logSumExp) };
        return top;
    }
}

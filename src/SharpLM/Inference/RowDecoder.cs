using SharpLM.Tokenization;

namespace SharpLM.Inference;

/// <summary>
/// What happens to one row of a batch at each decode step, apart from the forward pass: sample the next id from the row's
/// logits, report its log-probability and top candidates when asked, release the text it completes, and decide whether the
/// row stops (stop token, stop string, token budget). <see cref="Generator"/> and the serving scheduler share it, so a
/// request served alone or in a batch makes the same choices.
/// </summary>
public sealed class RowDecoder
{
    readonly GenerationOptions _options;
    readonly Sampler _sampler;
    readonly IReadOnlySet<int> _stopIds;
    readonly TextStreamer _streamer;
    readonly TokenHistory? _history;

    /// <param name="sampler">Rows of one <see cref="Generator"/> call share one sampler (one random stream); a served request has its own.</param>
    public RowDecoder(Tokenizer tokenizer, int[] prompt, GenerationOptions options, Sampler sampler, IReadOnlySet<int> stopIds)
    {
        _options = options;
        _sampler = sampler;
        _stopIds = stopIds;
        _streamer = new TextStreamer(tokenizer, options.StopStrings);
        var sampling = options.SamplingOrDefault;
        if (sampling.RepetitionPenalty != 1f || sampling.FrequencyPenalty != 0f || sampling.PresencePenalty != 0f)
            _history = new TokenHistory(prompt);
        Sequence = [.. prompt];
    }

    /// <summary>The prompt and the ids generated so far.</summary>
    public List<int> Sequence { get; }

    public int Generated { get; private set; }

    /// <summary>Chooses the next id from this row's logits (V); the piece carries a stop reason when the row is done.</summary>
    public StreamPiece Next(ReadOnlySpan<float> logits)
    {
        int id = _sampler.Next(logits, _history);
        bool report = _options.LogProbs || _options.TopCandidates > 0;
        float lse = report ? Sampler.LogSumExp(logits) : 0f;
        var token = new GeneratedToken(id, _options.LogProbs ? logits[id] - lse : float.NaN,
            _options.TopCandidates > 0 ? Sampler.TopCandidates(logits, _options.TopCandidates, lse) : []);
        Sequence.Add(id);
        Generated++;
        _history?.Add(id);
        if (_stopIds.Contains(id)) return Stop(StopReason.StopToken, token, "");
        var text = _streamer.Push(id);
        if (_streamer.Stopped) return Stop(StopReason.StopString, token, text);
        if (Generated >= _options.MaxNewTokens) return Stop(StopReason.MaxTokens, token, text);
        return new StreamPiece(text, token, null);
    }

    /// <summary>Ends the row for a reason of the caller's (cancelled, context full): the held-back text is released.</summary>
    public StreamPiece Stop(StopReason reason, GeneratedToken? token = null, string text = "") =>
        new(text + _streamer.Flush(), token, reason);
}

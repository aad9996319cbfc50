using SharpLM.Core;
using SharpLM.Model;
using static TorchSharp.torch;

namespace SharpLM.Inference;

/// <summary>
/// The stepping API for continuous batching: rows join at any time (<see cref="Join"/> prefills one prompt alone, into the
/// next free row of the cache), every <see cref="Step"/> decodes one token for all rows in one forward pass (each row at its
/// own position, see <see cref="KvCache.ForRows"/>), and finished rows <see cref="Leave"/>. The cache holds
/// <paramref name="rows"/> rows from the first join on and is reused in place. Sampling and stopping are the caller's (one
/// <see cref="RowDecoder"/> per row). Not thread-safe: one thread drives a batch, and the model must stay fused
/// (<see cref="Gpt.FuseForInference"/>) in <see cref="Precision"/> while it does.
/// </summary>
public sealed class DecodeBatch(Gpt model, int rows, ScalarType precision = ScalarType.Float32) : IDisposable
{
    readonly Device _device = model.parameters().First().device;
    KvCache? _cache;
    float[] _logits = [];

    /// <summary>Rows that may generate together.</summary>
    public int Rows { get; } = rows >= 1 ? rows : throw new SharpLmException($"a batch needs at least one row (got {rows})");

    public ScalarType Precision { get; } = precision;
    public int Count => (int)(_cache?.Batch ?? 0);
    public int ContextLength => model.Config.ContextLength;

    /// <summary>Tokens row <paramref name="row"/> holds (prompt and generated ids fed so far).</summary>
    public long Length(int row) => _cache!.RowLengths![row];

    /// <summary>True when row <paramref name="row"/> has no room for another token.</summary>
    public bool Full(int row) => Length(row) >= ContextLength;

    /// <summary>Prefills <paramref name="prompt"/> as a new last row; returns the logits (V) for its first generated token.</summary>
    public float[] Join(int[] prompt)
    {
        if (prompt.Length == 0) throw new SharpLmException("a prompt needs at least one token (start with the tokenizer's BOS)");
        if (prompt.Length > ContextLength)
            throw new SharpLmException($"prompt of {prompt.Length} tokens exceeds the model's context length {ContextLength}");
        if (prompt.Any(id => id < 0 || id >= model.Config.VocabSize))
            throw new SharpLmException($"prompt token id outside the vocabulary (size {model.Config.VocabSize})");
        if (Count >= Rows) throw new SharpLmException($"the batch is full ({Rows} rows)");
        using var mode = inference_mode();
        _cache ??= KvCache.ForRows(model.Config, Rows, _device, model.ComputeType);
        using var row = _cache.NextRow();
        using (var scope = NewDisposeScope())
        {
            var idx = tensor(prompt.Select(i => (long)i).ToArray(), [1, prompt.Length], device: _device);   // (1, T)
            var hidden = model.Hidden(idx, row);                                                            // (1, T, C)
            Generator.CopyLogits(model.Logits(hidden.narrow(1, prompt.Length - 1, 1)), ref _logits, Precision); // (1, 1, V)
        }
        _cache.AddRow(row);
        return _logits;
    }

    /// <summary>Feeds one token per row (in row order); returns (Count, V) logits, row-major. The array is reused by the next call.</summary>
    public float[] Step(IReadOnlyList<int> tokens)
    {
        if (tokens.Count != Count) throw new SharpLmException($"a step needs one token per row ({Count}), got {tokens.Count}");
        for (int b = 0; b < Count; b++)
            if (Full(b)) throw new SharpLmException($"row {b} has filled the context ({ContextLength} tokens)");
        if (model.Decoder is { } fused && fused.Applies(_cache!))
        {
            // The step without libtorch ops (fp32 on the CPU, up to 16 rows), into the same cache rows.
            fused.Step(tokens.ToArray(), _cache!, [], ref _logits);
            Generator.CheckFinite(_logits, Precision);
            return _logits;
        }
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var idx = tensor(tokens.Select(t => (long)t).ToArray(), [tokens.Count, 1], device: _device);      // (B, 1)
        Generator.CopyLogits(model.Logits(model.Hidden(idx, _cache)), ref _logits, Precision);           // (B, 1, V)
        return _logits;
    }

    /// <summary>Removes the given rows; the others keep their order.</summary>
    public void Leave(IReadOnlyCollection<int> rows)
    {
        if (rows.Count == 0) return;
        using var mode = inference_mode();
        _cache!.RemoveRows(rows);
    }

    public void Dispose() => _cache?.Dispose();
}

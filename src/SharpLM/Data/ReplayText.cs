using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// Plain pretraining text replayed during fine-tuning: documents tokenized as BOS + text and laid end to end. The last
/// <c>heldOutFraction</c> of the tokens is kept aside to measure how much of the base model's ability survives (retention).
/// </summary>
public sealed class ReplayText
{
    readonly int[] _train, _heldOut;

    public ReplayText(IEnumerable<string> documents, Tokenizer tokenizer, double heldOutFraction = 0.1)
    {
        var ids = new List<int>();
        foreach (var doc in documents)
        {
            ids.Add(tokenizer.BosId);
            ids.AddRange(tokenizer.Encode(doc));
        }
        int heldOut = (int)(ids.Count * Math.Clamp(heldOutFraction, 0, 0.5));
        _train = ids.Take(ids.Count - heldOut).ToArray();
        _heldOut = ids.Skip(ids.Count - heldOut).ToArray();
    }

    public int TrainTokens => _train.Length;
    public int HeldOutTokens => _heldOut.Length;

    /// <summary>A random window of <paramref name="rowTokens"/> training ids, every next token trained.</summary>
    public PackedRow Window(Random rng, int rowTokens)
    {
        if (_train.Length < rowTokens)
            throw new SharpLmException($"replay text has {_train.Length} tokens, fewer than one row of {rowTokens}");
        int start = rng.Next(_train.Length - rowTokens + 1);
        return SftPacker.PlainText(_train[start..(start + rowTokens)]);
    }

    /// <summary>Consecutive held-out windows (at most <paramref name="maxRows"/>), the same at every call.</summary>
    public List<PackedRow> HeldOutRows(int rowTokens, int maxRows) =>
        Enumerable.Range(0, Math.Min(maxRows, _heldOut.Length / rowTokens))
            .Select(i => SftPacker.PlainText(_heldOut[(i * rowTokens)..((i + 1) * rowTokens)]))
            .ToList();
}

using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Evaluation;

/// <summary>
/// Sums next-token cross-entropy over batches into a loss (nats per token) and bits per byte: the nats divided by ln 2 and
/// by the UTF-8 bytes the target tokens stand for, so models with different tokenizers compare fairly. Special tokens
/// (no text) are left out of bits per byte, as nanochat does. Targets equal to <see cref="Gpt.IgnoreIndex"/> count nowhere.
/// </summary>
public sealed class LossMeter(Tokenizer tokenizer)
{
    readonly Tensor _tokenBytes = tensor(Enumerable.Range(0, tokenizer.VocabSize)
        .Select(id => tokenizer.IsSpecial(id) ? 0L : tokenizer.TokenBytes(id).Length).ToArray()); // (V)
    double _nats, _natsOnText;
    long _bytes, _tokens;

    /// <summary>Adds logits (B, T, V) against targets (B, T).</summary>
    public void Add(Tensor logits, Tensor targets)
    {
        var y = targets.reshape(-1);                                                                    // (B·T)
        var ce = F.cross_entropy(logits.reshape(y.shape[0], -1), y, ignore_index: Gpt.IgnoreIndex,
            reduction: nn.Reduction.None);                                                              // (B·T), 0 where ignored
        var valid = y.ne(Gpt.IgnoreIndex);
        var bytes = _tokenBytes.index_select(0, y.clamp_min(0).cpu()).to(ce.device) * valid;          // (B·T)
        _nats += ce.sum().item<float>();
        _natsOnText += (ce * bytes.gt(0)).sum().item<float>();
        _bytes += bytes.sum().item<long>();
        _tokens += valid.sum().item<long>();
    }

    public long Tokens => _tokens;
    public double Loss => _nats / _tokens;
    public double BitsPerByte => _bytes > 0 ? _natsOnText / Math.Log(2) / _bytes : double.NaN;
}

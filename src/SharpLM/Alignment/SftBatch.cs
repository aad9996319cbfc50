using SharpLM.Data;
using SharpLM.Model;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// Packed rows as tensors: inputs X = ids[..^1], targets Y = ids[1..] with every position whose target is not trained set to
/// <see cref="Gpt.IgnoreIndex"/> (so prompts and padding contribute exactly zero loss and zero gradient), and, when a row holds
/// several conversations, the attention mask that keeps each conversation to itself.
/// </summary>
public sealed record SftBatch(Tensor X, Tensor Y, Tensor? AttentionMask) : IDisposable
{
    public static SftBatch From(IReadOnlyList<PackedRow> rows, Device device)
    {
        int B = rows.Count, T = rows[0].Ids.Length - 1;
        var x = new long[B * T];
        var y = new long[B * T];
        var seg = new long[B * T];
        bool segmented = false;
        for (int b = 0; b < B; b++)
        {
            var r = rows[b];
            for (int t = 0; t < T; t++)
            {
                x[b * T + t] = r.Ids[t];
                y[b * T + t] = r.Mask[t + 1] != 0 ? r.Ids[t + 1] : Gpt.IgnoreIndex;
                seg[b * T + t] = r.Segment[t];
            }
            segmented |= r.Segment[T - 1] != r.Segment[0];
        }
        Tensor? mask = null;
        if (segmented)
        {
            var s = tensor(seg, [B, T], device: device);                                           // (B, T)
            var same = s.unsqueeze(2).eq(s.unsqueeze(1));                                           // (B, T, T)
            mask = same.logical_and(ones(T, T, ScalarType.Bool, device).tril()).unsqueeze(1);     // (B, 1, T, T)
        }
        return new SftBatch(tensor(x, [B, T], device: device), tensor(y, [B, T], device: device), mask);
    }

    /// <summary>Logits (B, T, V) of the batch, with attention kept inside each conversation.</summary>
    public Tensor Logits(Gpt model) => model.Logits(model.Hidden(X, mask: AttentionMask));

    /// <summary>Summed cross-entropy over trained targets and how many there were.</summary>
    public (double Nats, long Tokens) SummedLoss(Gpt model)
    {
        var logits = Logits(model);                                                                 // (B, T, V)
        var ce = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), Y.reshape(-1),
            ignore_index: Gpt.IgnoreIndex, reduction: nn.Reduction.Sum);
        return (ce.item<float>(), Y.ne(Gpt.IgnoreIndex).sum().item<long>());
    }

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
        AttentionMask?.Dispose();
    }
}

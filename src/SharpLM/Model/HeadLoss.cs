using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Model;

/// <summary>
/// The head's product and the cross-entropy over chunks of rows, so the full-vocabulary logits, their log-softmax and
/// their gradients (B·T·V floats each, 67 MB at the reference configuration) are never all alive at once.
/// </summary>
/// <remarks>
/// While the forward pass is recorded, each chunk runs its own backward at once, from the hidden states and the head
/// weight detached, and leaves only their gradients (B·T·C and V·C floats). The returned loss carries them into the
/// rest of the graph through a surrogate: loss + (Σ hidden·G + Σ W·G_W − the same detached), which adds exactly 0 to
/// the value and gives the trunk and the head the gradients G and G_W, scaled like the loss when the caller scales it
/// (gradient accumulation). Same loss and gradients as one cross-entropy over all rows, up to the order of the sums.
/// </remarks>
public static class HeadLoss
{
    /// <summary>Rows per chunk by default: about 4M logits (16 MB in fp32) at a time.</summary>
    public static long DefaultChunkRows(long vocabulary) => Math.Max(1, (1L << 22) / vocabulary);

    /// <summary>Mean cross-entropy of logitsOf(hidden rows, weight) against targets, skipping <see cref="Gpt.IgnoreIndex"/>.</summary>
    /// <param name="hidden">Final hidden states (…, C).</param>
    /// <param name="weight">Head weight (V, C).</param>
    /// <param name="targets">Target ids, as many as hidden has rows.</param>
    /// <param name="logitsOf">Logits (n, V) in fp32 of hidden rows (n, C) and the weight.</param>
    /// <param name="chunkRows">Rows per chunk; 0: <see cref="DefaultChunkRows"/>.</param>
    public static Tensor Compute(Tensor hidden, Tensor weight, Tensor targets, Func<Tensor, Tensor, Tensor> logitsOf,
        long chunkRows = 0)
    {
        using var rows = hidden.reshape(-1, hidden.shape[^1]);                                   // (N, C)
        using var flat = targets.reshape(-1);                                                    // (N)
        long N = rows.shape[0], chunk = chunkRows > 0 ? chunkRows : DefaultChunkRows(weight.shape[0]);
        bool track = is_grad_enabled() && (rows.requires_grad || weight.requires_grad);
        if (N <= chunk)
        {
            using var logits = logitsOf(rows, weight);                                           // (N, V)
            return F.cross_entropy(logits, flat, ignore_index: Gpt.IgnoreIndex);
        }

        double count;
        using (var kept = flat.ne(Gpt.IgnoreIndex)) count = kept.sum().item<long>();
        using var hd = rows.detach().requires_grad_(track && rows.requires_grad);
        using var wd = weight.detach().requires_grad_(track && weight.requires_grad);
        var total = zeros(1, ScalarType.Float32, rows.device);
        for (long start = 0; start < N; start += chunk)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(chunk, N - start);
            var logits = logitsOf(hd.narrow(0, start, n), wd);                                    // (n, V)
            var sum = F.cross_entropy(logits, flat.narrow(0, start, n), ignore_index: Gpt.IgnoreIndex,
                reduction: nn.Reduction.Sum);
            total.add_(sum.detach());
            if (track) (sum / count).backward();
        }
        var loss = (total / count).squeeze();
        total.Dispose();
        if (!track) return loss;
        Tensor? surrogate = null;
        if (rows.requires_grad) using (var g = hd.grad!) surrogate = (rows * g).sum();
        if (weight.requires_grad)
            using (var g = wd.grad!)
            {
                var w = (weight * g).sum();
                surrogate = surrogate is null ? w : surrogate + w;
            }
        // (s − s.detach()) is exactly 0, so the value is the loss's own, and its gradient reaches s's inputs.
        return loss + (surrogate! - surrogate!.detach());
    }
}

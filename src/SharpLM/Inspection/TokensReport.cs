using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Inspection;

/// <summary>One displayed piece of the text: its token ids, bytes, and how expected it was.</summary>
/// <param name="Probability">The model's probability of this piece given everything before it (product over its tokens).</param>
/// <param name="Surprisal">−log₂ of that probability, in bits: high where the model was surprised.</param>
public sealed record TokenRow(int Index, int[] Ids, int ByteStart, int ByteEnd, string Text, double? Probability, double? Surprisal);

/// <summary>The tokenizer's view of a text plus the model's surprise at each token.</summary>
public sealed record TokensReport(string Text, int Tokens, int Characters, int Bytes, TokenRow[] Rows, double MeanSurprisalPerToken);

public sealed partial class Inspector
{
    public TokensReport Tokens(string text)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, offset) = EncodeWithBos(text);
        var (_, logits) = Run(ids);                                                              // (T, V)
        var logProbs = logits.log_softmax(-1);                                                   // (T, V)
        // Surprisal of token t is read at position t−1; without BOS the first token has none.
        var bits = new double?[ids.Length];
        for (int t = Math.Max(1, offset); t < ids.Length; t++)
            bits[t] = -logProbs[t - 1, ids[t]].item<float>() / Math.Log(2);
        var rows = new List<TokenRow>();
        int position = offset;
        foreach (var span in TokenView.Spans(Tokenizer, ids.AsSpan(offset)))
        {
            double? sum = 0;
            for (int k = 0; k < span.Ids.Count; k++) sum += bits[position + k];
            position += span.Ids.Count;
            rows.Add(new TokenRow(rows.Count, [.. span.Ids], span.ByteStart, span.ByteEnd, span.Text,
                sum is { } s ? Math.Pow(2, -s) : null, sum));
        }
        var known = bits.Where(b => b.HasValue).Select(b => b!.Value).ToArray();
        return new TokensReport(text, ids.Length - offset, text.EnumerateRunes().Count(), System.Text.Encoding.UTF8.GetByteCount(text),
            rows.ToArray(), known.Length > 0 ? known.Average() : double.NaN);
    }
}

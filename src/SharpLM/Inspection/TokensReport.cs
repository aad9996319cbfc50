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
        // Surprisal of token t is read at position t−1; without BOS the first token has none.
        var next = tensor(ids[1..].Select(i => (long)i).ToArray()).unsqueeze(1);                // (T−1, 1)
        var nats = -logits[..^1].log_softmax(-1).gather(1, next).squeeze(1);                    // (T−1)
        var known = nats.to_type(ScalarType.Float64).data<double>().Select(n => n / Math.Log(2)).ToArray();
        var bits = new double?[ids.Length];
        for (int t = 1; t < ids.Length; t++) bits[t] = known[t - 1];
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
        return new TokensReport(text, ids.Length - offset, text.EnumerateRunes().Count(), System.Text.Encoding.UTF8.GetByteCount(text),
            rows.ToArray(), known.Length > 0 ? known.Average() : double.NaN);
    }
}

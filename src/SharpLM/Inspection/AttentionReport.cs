using static TorchSharp.torch;

namespace SharpLM.Inspection;

/// <summary>A position a head attends to, with the weight.</summary>
public sealed record AttendedToken(int Position, string Token, double Weight);

/// <summary>Where one head looks from the focus token.</summary>
public sealed record HeadFocus(int Layer, int Head, AttendedToken[] Top);

/// <summary>
/// Attention weights softmax(QKᵀ/√d) for the chosen layers, Weights[layer][head][query][key] (layers in <see cref="Layers"/>
/// order), and for the focus token the positions each head attends to most.
/// </summary>
public sealed record AttentionReport(string Text, string[] Tokens, int[] Ids, int[] Layers, int Heads, int FocusPosition,
    HeadFocus[] Focus, float[][][][] Weights);

public sealed partial class Inspector
{
    /// <param name="layer">0-based block, or null for all.</param>
    /// <param name="focus">A word in the text whose attention to list (its last occurrence); null = the last token.</param>
    public AttentionReport Attention(string text, int? layer = null, string? focus = null, int top = 3)
    {
        int depth = Model.Config.Depth;
        if (layer is { } l && (l < 0 || l >= depth))
            throw new Core.SharpLmException($"--layer {l} is out of range: the model has layers 0..{depth - 1}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, offset) = EncodeWithBos(text);
        int[] layers = layer is { } only ? [only] : Enumerable.Range(0, depth).ToArray();
        var captured = CaptureAttention(ids);                                                    // each (H, T, T)
        int position = focus is null ? ids.Length - 1 : PositionOf(text, ids, offset, focus);
        var labels = PositionLabels(ids);
        var focusRows = new List<HeadFocus>();
        var weights = new float[layers.Length][][][];
        for (int li = 0; li < layers.Length; li++)
        {
            var w = captured[layers[li]];
            int heads = (int)w.shape[0], T = (int)w.shape[1];
            var flat = w.contiguous().data<float>().ToArray();
            weights[li] = new float[heads][][];
            for (int h = 0; h < heads; h++)
            {
                weights[li][h] = new float[T][];
                for (int q = 0; q < T; q++) weights[li][h][q] = flat.AsSpan((h * T + q) * T, T).ToArray();
                var row = weights[li][h][position];
                var best = Enumerable.Range(0, position + 1).OrderByDescending(k => row[k]).Take(top)
                    .Select(k => new AttendedToken(k, labels[k], row[k])).ToArray();
                focusRows.Add(new HeadFocus(layers[li], h, best));
            }
        }
        return new AttentionReport(text, labels, ids, layers, Model.Config.Heads, position, focusRows.ToArray(), weights);
    }

    /// <summary>
    /// Runs the explicit attention path of every block and returns its weights, one (H, T, T) per layer: each row sums to
    /// one and is zero above the diagonal. The blocks are switched back to the fast SDPA path afterwards.
    /// </summary>
    public Tensor[] CaptureAttention(int[] ids)
    {
        try
        {
            foreach (var block in Model.Blocks) block.Attention.CaptureWeights = true;
            Run(ids);
            return Model.Blocks.Select(b => b.Attention.LastWeights![0]).ToArray();
        }
        finally
        {
            foreach (var block in Model.Blocks) block.Attention.CaptureWeights = false;
        }
    }
}

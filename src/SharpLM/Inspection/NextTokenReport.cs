using static TorchSharp.torch;

namespace SharpLM.Inspection;

/// <summary>How sampling would treat one candidate next token under each setting.</summary>
/// <param name="Probability">softmax(logits) at temperature 1.</param>
/// <param name="Tempered">softmax(logits / T).</param>
/// <param name="TopK">The tempered distribution kept to the K most likely tokens and renormalised (0 when cut).</param>
/// <param name="TopP">The tempered distribution kept to the smallest set whose mass reaches P (nucleus) and renormalised.</param>
public sealed record NextTokenRow(int Id, string Token, double Logit, double Probability, double Tempered, double TopK, double TopP);

/// <summary>The next-token distribution after a text, most likely first, with the entropy of each variant in bits.</summary>
public sealed record NextTokenReport(string Text, double Temperature, int TopKLimit, double TopPLimit, NextTokenRow[] Rows,
    double EntropyBits, double TemperedEntropyBits, int TopPKept);

public sealed partial class Inspector
{
    public NextTokenReport Next(string text, int top = 10, double temperature = 1.0, int topK = 5, double topP = 0.9)
    {
        if (temperature <= 0) throw new Core.SharpLmException($"--temperature must be positive (got {temperature})");
        if (topK < 1) throw new Core.SharpLmException($"--top-k must be at least 1 (got {topK})");
        if (topP is <= 0 or > 1) throw new Core.SharpLmException($"--top-p must be in (0, 1] (got {topP})");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = Run(EncodeWithBos(text).Ids).Logits[-1].to_type(ScalarType.Float64);       // (V)
        var p1 = logits.softmax(-1);                                                            // (V)
        var pt = (logits / temperature).softmax(-1);                                            // (V)
        var (sorted, order) = pt.sort(descending: true);                                         // (V), (V)
        var tempered = sorted.data<double>().ToArray();
        int kept = 0;
        for (double mass = 0; kept < tempered.Length && mass < topP; kept++) mass += tempered[kept];
        double kMass = tempered.Take(topK).Sum(), pMass = tempered.Take(kept).Sum();
        var ids = order.data<long>().ToArray();
        var l = logits.data<double>().ToArray();
        var p = p1.data<double>().ToArray();
        var rows = Enumerable.Range(0, Math.Min(top, ids.Length)).Select(r =>
        {
            int id = (int)ids[r];
            return new NextTokenRow(id, Display(id), l[id], p[id], tempered[r],
                r < topK ? tempered[r] / kMass : 0, r < kept ? tempered[r] / pMass : 0);
        }).ToArray();
        return new NextTokenReport(text, temperature, topK, topP, rows, Entropy(p1), Entropy(pt), kept);
    }

    static double Entropy(Tensor probs) =>
        -(probs * probs.clamp_min(1e-300).log2()).sum().item<double>();
}

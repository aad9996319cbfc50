using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Inspection;

/// <summary>
/// The word as it sits in one sentence: its token, its vector after each layer (index 0 is the static embedding) with
/// their norms, and the logit lens of its last-layer vector.
/// </summary>
public sealed record ContextSentence(string Sentence, int Position, int TokenId, string Token, float[][] VectorByLayer,
    double[] NormByLayer, ScoredToken[] LensTop);

/// <summary>Cosine similarity of the word's vectors in sentences A and B, per layer (index 0 is the static embedding).</summary>
public sealed record ContextPair(int A, int B, double[] CosineByLayer);

/// <summary>
/// One word in several sentences: its static embedding is the same everywhere, its contextual vector (the residual stream
/// after each block) moves apart as depth grows.
/// </summary>
public sealed record ContextReport(string Word, string[] LayerNames, ContextSentence[] Sentences, ContextPair[] Pairs);

public sealed partial class Inspector
{
    public ContextReport Context(string word, IReadOnlyList<string> sentences, int top = 5)
    {
        if (sentences.Count < 2) throw new Core.SharpLmException("give at least two sentences to compare");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var vectors = new List<Tensor>();                                                        // each (L+1, C)
        var rows = new List<ContextSentence>();
        foreach (var sentence in sentences)
        {
            var (ids, offset) = EncodeWithBos(sentence);
            int position = PositionOf(sentence, ids, offset, word);
            var layers = Run(ids).Layers;
            var byLayer = stack(layers.Select(l => l[position]).ToArray());                       // (L+1, C)
            vectors.Add(byLayer);
            var probs = Lens(byLayer[-1]).softmax(-1);                                             // (V)
            var (values, indices) = probs.topk(Math.Min(top, (int)probs.shape[0]));
            rows.Add(new ContextSentence(sentence, position, ids[position], Display(ids[position]),
                Enumerable.Range(0, layers.Length).Select(i => byLayer[i].data<float>().ToArray()).ToArray(),
                linalg.vector_norm(byLayer, dims: [1]).to_type(ScalarType.Float64).data<double>().ToArray(), Scored(values, indices)));
        }
        var pairs = new List<ContextPair>();
        for (int a = 0; a < vectors.Count; a++)
            for (int b = a + 1; b < vectors.Count; b++)
                pairs.Add(new ContextPair(a, b,
                    F.cosine_similarity(vectors[a], vectors[b], dim: 1).to_type(ScalarType.Float64).data<double>().ToArray()));
        return new ContextReport(word, LayerNames(), rows.ToArray(), pairs.ToArray());
    }

    /// <summary>"embedding", then "block 1" … "block L": the residual stream after each.</summary>
    internal string[] LayerNames() =>
        ["embedding", .. Enumerable.Range(1, Model.Config.Depth).Select(i => $"block {i}")];
}

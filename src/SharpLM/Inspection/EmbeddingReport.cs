using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Inspection;

/// <summary>A vocabulary token and a score (cosine similarity, or probability for the logit lens).</summary>
public sealed record ScoredToken(int Id, string Text, double Score);

/// <summary>The static (input) embedding of a word: the mean of its tokens' rows when it spans several tokens.</summary>
public sealed record EmbeddingReport(string Word, int[] Ids, string[] Tokens, int Width, double Norm, float[] FirstDimensions, ScoredToken[] Nearest);

/// <summary>Two words or phrases compared by static embedding and by the model's final hidden state after reading each.</summary>
public sealed record SimilarityReport(string A, string B, int[] IdsA, int[] IdsB, double StaticCosine, double ContextualCosine);

public sealed partial class Inspector
{
    public EmbeddingReport Embedding(string word, int top = 10, int dimensions = 8)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = Tokenizer.Encode(word);
        if (ids.Length == 0) throw new Core.SharpLmException("the word is empty");
        var vector = StaticVector(ids);                                                          // (C)
        var table = Model.Embedding.weight!;                                                     // (V, C)
        var cosine = F.cosine_similarity(table, vector.unsqueeze(0), dim: 1);                   // (V)
        if (ids.Length == 1) cosine[ids[0]] = tensor(double.NegativeInfinity);                   // not its own neighbour
        var (values, indices) = cosine.topk(Math.Min(top, (int)cosine.shape[0] - 1));
        var nearest = Scored(values, indices);
        int c = (int)vector.shape[0];
        return new EmbeddingReport(word, ids, ids.Select(Display).ToArray(), c, vector.norm().item<float>(),
            vector[..Math.Min(dimensions, c)].data<float>().ToArray(), nearest);
    }

    public SimilarityReport Similarity(string a, string b)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var idsA = Tokenizer.Encode(a);
        var idsB = Tokenizer.Encode(b);
        if (idsA.Length == 0 || idsB.Length == 0) throw new Core.SharpLmException("both words must be non-empty");
        double statics = F.cosine_similarity(StaticVector(idsA), StaticVector(idsB), dim: 0).item<float>();
        var lastA = Run(EncodeWithBos(a).Ids).Layers[^1][-1];                                    // (C)
        var lastB = Run(EncodeWithBos(b).Ids).Layers[^1][-1];
        double contextual = F.cosine_similarity(lastA, lastB, dim: 0).item<float>();
        return new SimilarityReport(a, b, idsA, idsB, statics, contextual);
    }

    Tensor StaticVector(int[] ids) =>
        Model.Embedding.weight![tensor(ids.Select(i => (long)i).ToArray())].mean([0]);          // (C)

    internal ScoredToken[] Scored(Tensor values, Tensor indices)
    {
        var v = values.to_type(ScalarType.Float64).data<double>().ToArray();
        var i = indices.data<long>().ToArray();
        return v.Select((s, k) => new ScoredToken((int)i[k], Display((int)i[k]), s)).ToArray();
    }
}

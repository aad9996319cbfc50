using SharpLM.Model;

namespace SharpLM.Training;

/// <summary>
/// The model size a user asks for before the vocabulary is known: <c>--depth</c> alone (nanochat sizing, width 64·depth) or
/// explicit fields that override it.
/// </summary>
public sealed record ModelShape(
    int Depth = 4,
    int Context = 256,
    int? Width = null,
    int? Heads = null,
    int? KvHeads = null,
    MlpKind Mlp = MlpKind.ReluSquared,
    int MlpHidden = 0,
    bool TieEmbeddings = false)
{
    /// <summary>The full configuration for a tokenizer of <paramref name="vocabSize"/> ids.</summary>
    public GptConfig For(int vocabSize)
    {
        var d = GptConfig.FromDepth(Depth, vocabSize, Context, Mlp);
        int heads = Heads ?? (Width is { } w ? Math.Max(1, w / 64) : d.Heads);
        return (d with
        {
            Width = Width ?? d.Width,
            Heads = heads,
            KvHeads = KvHeads ?? heads,
            MlpHidden = MlpHidden,
            TieEmbeddings = TieEmbeddings,
        }).Validate("model options");
    }
}

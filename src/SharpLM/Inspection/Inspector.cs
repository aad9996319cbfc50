using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Inspection;

/// <summary>
/// The glass box: one trained model and its tokenizer, with read-only views of what happens inside — tokens and
/// surprisal, embeddings, contextual vectors, attention, the next-token distribution and the logit lens.
/// Every view prepends BOS (as documents are trained) so the first token also has a prediction and a context.
/// The inspector owns the model: disposing it disposes the model.
/// </summary>
public sealed partial class Inspector : IDisposable
{
    public Inspector(Gpt model, Tokenizer tokenizer)
    {
        if (tokenizer.VocabSize != model.Config.VocabSize)
            throw new Core.SharpLmException($"tokenizer has {tokenizer.VocabSize} ids but the model expects {model.Config.VocabSize}");
        Model = model;
        Tokenizer = tokenizer;
        model.eval();
    }

    /// <summary>Opens any run folder (base, SFT, RLHF checkpoint) on the CPU.</summary>
    public static Inspector Open(string dir)
    {
        var loaded = RunFolder.LoadModel(dir);
        return new Inspector(loaded.Model, loaded.Tokenizer);
    }

    public Gpt Model { get; }
    public Tokenizer Tokenizer { get; }

    bool HasBos => Tokenizer.SpecialTokenIds.ContainsKey(SpecialTokens.Bos);

    /// <summary>The text's ids with BOS first (when the tokenizer has one), and where the text's own tokens start.</summary>
    internal (int[] Ids, int Offset) EncodeWithBos(string text)
    {
        var ids = Tokenizer.Encode(text);
        if (ids.Length == 0) throw new Core.SharpLmException("the text is empty: nothing to inspect");
        return HasBos ? ([Tokenizer.BosId, .. ids], 1) : (ids, 0);
    }

    /// <summary>Residual stream after the embedding and after each block (Depth + 1 entries, each (T, C)) and the logits (T, V).</summary>
    internal (Tensor[] Layers, Tensor Logits) Run(int[] ids)
    {
        var idx = tensor(ids.Select(i => (long)i).ToArray(), ScalarType.Int64).unsqueeze(0);  // (1, T)
        var layers = new List<Tensor>();
        var hidden = Model.Hidden(idx, layerOutputs: layers);                                    // (1, T, C)
        return (layers.Select(l => l[0]).ToArray(), Model.Logits(hidden)[0]);                   // (T, C)…, (T, V)
    }

    /// <summary>Logit lens: what the model would predict from a residual stream (…, C) if it stopped there.</summary>
    internal Tensor Lens(Tensor residual) => Model.Logits(Model.FinalNorm(residual));

    /// <summary>A token's text for tables and chart labels, whitespace made visible.</summary>
    public string Display(int id) => Visible(Tokenizer.Decode([id]));

    public static string Visible(string text) =>
        text.Replace(" ", "␣").Replace("\n", "↵").Replace("\t", "⇥").Replace("\r", "␍");

    /// <summary>One label per position: a token that splits a character shows the whole character with its part (苹·1/2).</summary>
    internal string[] PositionLabels(int[] ids)
    {
        var labels = new List<string>(ids.Length);
        foreach (var span in TokenView.Spans(Tokenizer, ids))
        {
            var text = Visible(span.Text);
            if (span.Ids.Count == 1) labels.Add(text);
            else for (int k = 0; k < span.Ids.Count; k++) labels.Add($"{text}·{k + 1}/{span.Ids.Count}");
        }
        return labels.ToArray();
    }

    /// <summary>
    /// The token position (in <paramref name="ids"/>, after any BOS) that holds the last byte of the last occurrence of
    /// <paramref name="word"/> in <paramref name="text"/>: that token has seen the whole word.
    /// </summary>
    internal int PositionOf(string text, int[] ids, int offset, string word)
    {
        int at = text.LastIndexOf(word, StringComparison.Ordinal);
        if (word.Length == 0 || at < 0) throw new Core.SharpLmException($"'{word}' does not occur in \"{text}\"");
        int lastByte = System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, at + word.Length)) - 1;
        int bytes = 0;
        for (int i = offset; i < ids.Length; i++)
        {
            bytes += Tokenizer.TokenBytes(ids[i]).Length;
            if (bytes > lastByte) return i;
        }
        throw new Core.SharpLmException($"'{word}' lies outside the tokens of \"{text}\"");
    }

    public void Dispose() => Model.Dispose();
}

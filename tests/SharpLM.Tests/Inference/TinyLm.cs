using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;
using TorchSharp;

namespace SharpLM.Tests.Inference;

/// <summary>A random tiny GPT over a character vocabulary, with a sharpened head so greedy choices are not near-ties.</summary>
sealed record TinyLm(Gpt Model, Generator Generator, CharTokenizer Tokenizer)
{
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyz .,!?";

    public static TinyLm Create(int contextLength = 32, long seed = 5)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: seed));
        var tokenizer = CharTokenizer.Train([Alphabet]);
        var model = new Gpt(new GptConfig(tokenizer.VocabSize, contextLength, Depth: 2, Width: 32, Heads: 4, KvHeads: 2));
        using (torch.no_grad()) model.HeadWeight.mul_(20);
        return new TinyLm(model, new Generator(model, tokenizer), tokenizer);
    }

    /// <summary>Log-softmax of the plain full forward pass over <paramref name="ids"/>, one array of V per position.</summary>
    public float[][] FullLogProbs(IReadOnlyList<int> ids)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var idx = torch.tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count]);
        var logp = Model.forward(idx)[0].log_softmax(-1);                                    // (T, V)
        return Enumerable.Range(0, ids.Count).Select(t => logp[t].data<float>().ToArray()).ToArray();
    }
}

using SharpLM.Core;
using SharpLM.Inspection;
using SharpLM.Model;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Inspection;

/// <summary>Untrained tiny models over a character vocabulary with Chinese and English, for inspection tests.</summary>
static class TinyModels
{
    public const string Corpus = "the cat sat on the mat because it was tired. 我爱吃苹果。苹果公司发布了新手机。";

    public static GptConfig Config(Tokenizer tokenizer, int depth = 2, int kvHeads = 2) =>
        new(tokenizer.VocabSize, ContextLength: 64, Depth: depth, Width: 32, Heads: 4, KvHeads: kvHeads);

    public static Inspector Inspector(int seed = 1, int kvHeads = 2, Tokenizer? tokenizer = null)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: seed));
        tokenizer ??= CharTokenizer.Train([Corpus]);
        return new Inspector(new Gpt(Config(tokenizer, kvHeads: kvHeads)), tokenizer);
    }

    /// <summary>BOS and the text's ids as a (1, T) batch, the way every inspection view feeds the model.</summary>
    public static TorchSharp.torch.Tensor WithBos(Inspector inspector, string text) =>
        TorchSharp.torch.tensor(inspector.Tokenizer.Encode(text).Prepend(inspector.Tokenizer.BosId).Select(i => (long)i).ToArray()).unsqueeze(0);
}

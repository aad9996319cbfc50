using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Interop.Tests;

/// <summary>A small byte-level BPE tokenizer trained on mixed Chinese/English/emoji text, and seeded random models over it.</summary>
public static class Fixture
{
    /// <summary>Chinese, English, digits, emoji (with a skin-tone modifier), apostrophes, blank lines and double spaces.</summary>
    public const string MixedText =
        "湖南的省会城市是长沙。The capital of Hunan is Changsha! 我爱吃苹果🍎和香蕉🍌, don't you? 12345 apples, 😀👍🏽 done.\n\n" +
        "  Two spaces, a tab\there, and 中文：你好，世界！";

    static readonly Lazy<BpeTokenizer> Bpe = new(() => BpeTrainer.Train(
        Enumerable.Range(0, 40).Select(i => $"{MixedText} 第{i}句。Sentence number {i} says hello to the world 🌍."),
        new BpeTrainingOptions(VocabSize: 700, Threads: 1)));

    public static BpeTokenizer Tokenizer => Bpe.Value;

    public static GptConfig Config(MlpKind mlp, bool qkNorm, bool tie = false, int headDim = 0) =>
        new(Tokenizer.VocabSize, ContextLength: 128, Depth: 2, Width: 64, Heads: 2, KvHeads: 1, Mlp: mlp, TieEmbeddings: tie,
            QkNorm: qkNorm, NormEps: 1e-5, RopeBase: 10000, HeadDim: headDim);

    /// <summary>
    /// A seeded random model whose logits spread over several units (weights scaled up, norm weights away from 1), so
    /// a misplaced tensor, a wrong rotary layout or a wrong norm shows, and greedy choices are not near-ties.
    /// </summary>
    public static Gpt Model(GptConfig config, int seed = 7)
    {
        manual_seed(seed);
        var model = new Gpt(config);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() == 1) p.uniform_(0.5, 1.5);
            else p.mul_(name.Contains("embed") ? 20 : 4);
        }
        model.eval();
        return model;
    }

    /// <summary>Saves <paramref name="model"/> as a checkpoint folder (with the chat template) and returns it.</summary>
    public static string Save(string dir, Gpt model)
    {
        Checkpoint.Save(dir, model, Tokenizer, "test", tmp => new ChatTemplate(Tokenizer).Save(tmp));
        return dir;
    }

    /// <summary>Logits (T, V) of one sequence through our model, fp32.</summary>
    public static float[,] Logits(Gpt model, int[] ids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = model.forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0))[0]; // (T, V)
        var values = logits.contiguous().data<float>().ToArray();
        var result = new float[ids.Length, (int)logits.shape[1]];
        Buffer.BlockCopy(values, 0, result, 0, values.Length * 4);
        return result;
    }

    /// <summary>A 64-token text: the mixed text's ids, repeated and cut.</summary>
    public static int[] Tokens(int count)
    {
        var ids = Tokenizer.Encode(MixedText);
        return Enumerable.Range(0, count).Select(i => ids[i % ids.Length]).ToArray();
    }
}

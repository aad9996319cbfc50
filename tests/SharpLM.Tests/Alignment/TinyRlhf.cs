using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Tests.Alignment;

/// <summary>
/// A tiny SFT model (char tokenizer over a small alphabet, depth 1, width 32): a random base fine-tuned by
/// <see cref="SftTrainer"/> for a few dozen steps to answer "xy?" with "xy", so it follows the chat format and ends its
/// answers as a real SFT model does. Also synthetic preference data: answers that end politely ("… thanks") are chosen
/// over the same words ending rudely ("… now").
/// </summary>
public static class TinyRlhf
{
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyz ?.";

    public static string Sft(TempDir tmp, string name = "sft", string alphabet = Alphabet, int context = 48, long seed = 1)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: seed));
        var tokenizer = new CharTokenizer(alphabet.Select(c => c.ToString()));
        var baseDir = tmp[name + "-base"];
        using (var model = new Gpt(new GptConfig(tokenizer.VocabSize, context, 1, 32, 2, 2)))
            Checkpoint.Save(baseDir, model, tokenizer, "pretrain");
        var letters = alphabet.Where(char.IsLetter).ToArray();
        var rng = new Random((int)seed);
        var data = tmp[name + "-conversations.jsonl"];
        File.WriteAllLines(data, Enumerable.Range(0, 200).Select(_ =>
        {
            var word = new string([letters[rng.Next(letters.Length)], letters[rng.Next(letters.Length)]]);
            return new JsonObject
            {
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = word + "?" }, new JsonObject { ["role"] = "assistant", ["content"] = word }),
            }.ToJsonString();
        }));
        var dir = tmp[name];
        new global::SharpLM.Alignment.SftTrainer(new global::SharpLM.Alignment.SftOptions(baseDir, [data], dir, Steps: 30, Lr: 3e-3, BatchTokens: 512, ValFraction: 0.05,
            EvalEvery: 30, SaveEvery: 30, Torch: new TorchSettings(Threads: 1, Seed: seed),
            // fp32 always: "auto" times a tiny product for 0.15 s per precision and its pick can flip with the machine's load,
            // and the alignment tests' outcomes with it.
            Precision: "fp32")).Run();
        return new RunFolder(dir).ModelDir;
    }

    static string Words(Random rng, int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(_ => new string(Enumerable.Range(0, rng.Next(2, 5)).Select(_ => (char)('a' + rng.Next(20))).ToArray())));

    /// <summary><paramref name="count"/> pairs as JSONL: prompt "q …?", chosen "… thanks", rejected "… now".</summary>
    public static string PolitePairs(TempDir tmp, int count, int seed = 7, string name = "pairs.jsonl")
    {
        var rng = new Random(seed);
        var lines = Enumerable.Range(0, count).Select(_ =>
        {
            var body = Words(rng, 2);
            return new JsonObject { ["prompt"] = "q " + Words(rng, 1) + "?", ["chosen"] = body + " thanks", ["rejected"] = body + " now" }.ToJsonString();
        });
        File.WriteAllLines(tmp[name], lines);
        return tmp[name];
    }
}

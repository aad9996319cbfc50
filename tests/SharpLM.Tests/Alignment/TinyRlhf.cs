using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Tests.Alignment;

/// <summary>
/// A tiny "SFT" checkpoint (char tokenizer over a small alphabet, depth 1, width 32) and synthetic preference data:
/// answers that end politely ("… thanks") are chosen over the same words ending rudely ("… now").
/// </summary>
public static class TinyRlhf
{
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyz ?.";

    public static string Sft(TempDir tmp, string name = "sft", string alphabet = Alphabet, int context = 48, long seed = 1)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: seed));
        var tokenizer = new CharTokenizer(alphabet.Select(c => c.ToString()));
        using var model = new Gpt(new GptConfig(tokenizer.VocabSize, context, 1, 32, 2, 2));
        var dir = tmp[name];
        Checkpoint.Save(dir, model, tokenizer, "sft", new ChatTemplate(tokenizer).Save);
        return dir;
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

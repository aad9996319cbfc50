using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Alignment;

/// <summary>Models that exchange token ids (policy → reward model, policy ↔ reference) must share one vocabulary.</summary>
public static class TokenizerCheck
{
    /// <summary>Throws a <see cref="SharpLmException"/> naming both folders unless every id means the same bytes in both.</summary>
    public static void RequireSame(Tokenizer a, string aDir, Tokenizer b, string bDir)
    {
        string? difference = a.VocabSize != b.VocabSize ? $"{a.VocabSize} vs {b.VocabSize} ids"
            : !a.SpecialTokenIds.OrderBy(kv => kv.Value).SequenceEqual(b.SpecialTokenIds.OrderBy(kv => kv.Value)) ? "different special tokens"
            : Enumerable.Range(0, a.VocabSize).FirstOrDefault(id => !a.TokenBytes(id).AsSpan().SequenceEqual(b.TokenBytes(id)), -1) is var id and >= 0
                ? $"token {id} is {Show(a, id)} in one and {Show(b, id)} in the other" : null;
        if (difference is not null)
            throw new SharpLmException(
                $"{aDir} and {bDir} use different tokenizers ({difference}): token ids from one mean nothing to the other. " +
                "Train the reward model from the same SFT run (same tokenizer) as the policy.");
    }

    static string Show(Tokenizer t, int id) => $"'{System.Text.Encoding.UTF8.GetString(t.TokenBytes(id))}'";
}

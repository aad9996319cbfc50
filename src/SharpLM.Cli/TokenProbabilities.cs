using SharpLM.Inference;
using SharpLM.Tokenization;

namespace SharpLM.Cli;

/// <summary>Prints, per generated token, the token and the most likely candidates with their probabilities.</summary>
public static class TokenProbabilities
{
    public static void Write(TextWriter output, Tokenizer tokenizer, GeneratedToken token)
    {
        var candidates = string.Join("  ", token.Candidates.Select(c => $"{Show(tokenizer, c.Id)} {c.Probability:0.00}"));
        output.WriteLine($"{Show(tokenizer, token.Id),-14} │ {candidates}");
    }

    /// <summary>A token's text, quoted, with whitespace made visible.</summary>
    static string Show(Tokenizer tokenizer, int id) =>
        "'" + tokenizer.Decode([id]).Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r") + "'";
}

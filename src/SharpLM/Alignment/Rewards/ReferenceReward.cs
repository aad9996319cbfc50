using System.Globalization;
using System.Text.RegularExpressions;
using SharpLM.Core;

namespace SharpLM.Alignment.Rewards;

/// <summary>How an answer is compared with the prompt's reference field.</summary>
public enum ReferenceMatch
{
    /// <summary>Equal after trimming and collapsing whitespace.</summary>
    Exact,
    /// <summary>The answer contains the reference (case-insensitive).</summary>
    Contains,
    /// <summary>GSM8K-style: the number after "####" (else the last number) equals the reference's.</summary>
    Number,
}

/// <summary>1 when the answer matches the prompt's reference answer, else 0: a checkable-correctness reward.</summary>
public sealed partial class ReferenceReward(ReferenceMatch match) : IRewardFunction
{
    public string Name => match.ToString().ToLowerInvariant();

    public float[] Score(IReadOnlyList<RewardInput> items) => items.Select(item =>
    {
        var reference = item.Prompt.Reference
                        ?? throw new SharpLmException($"{item.Prompt.Source}: the {Name} reward needs a reference answer (field answer, reference, solution or output)");
        return Matches(item.Response, reference) ? 1f : 0f;
    }).ToArray();

    public bool Matches(string response, string reference) => match switch
    {
        ReferenceMatch.Exact => Collapse(response) == Collapse(reference),
        ReferenceMatch.Contains => response.Contains(reference.Trim(), StringComparison.OrdinalIgnoreCase),
        _ => ExtractNumber(response) is { } a && ExtractNumber(reference) is { } b && a == b,
    };

    static string Collapse(string s) => Whitespace().Replace(s.Trim(), " ");

    /// <summary>The number after the last "####" when there is one (GSM8K's answer marker), else the last number in the text.</summary>
    public static decimal? ExtractNumber(string text)
    {
        int marker = text.LastIndexOf("####", StringComparison.Ordinal);
        var matches = Number().Matches(marker >= 0 ? text[(marker + 4)..] : text);
        if (matches.Count == 0) return null;
        var m = marker >= 0 ? matches[0] : matches[^1];
        return decimal.TryParse(m.Value.Replace(",", "").TrimEnd('.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : null;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"-?\d[\d,]*(\.\d+)?")]
    private static partial Regex Number();
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace SharpLM.Evaluation;

/// <summary>How a generated answer is compared with the reference.</summary>
public enum AnswerMatch
{
    /// <summary>Numeric when the reference has a GSM8K "#### N" line, else exact.</summary>
    Auto,
    /// <summary>Equal after trimming, lower-casing and dropping trailing punctuation.</summary>
    Exact,
    /// <summary>The normalised reference occurs in the normalised answer.</summary>
    Contains,
    /// <summary>The final number: after "#### " when present, else the last number in the text (commas and $ ignored).</summary>
    Numeric,
}

/// <summary>Checks generated answers against references (exact match, contains, GSM8K-style numeric extraction).</summary>
public static partial class AnswerChecker
{
    [GeneratedRegex(@"-?\d[\d,]*(?:\.\d+)?")]
    private static partial Regex NumberPattern();

    public static bool IsCorrect(string answer, string reference, AnswerMatch match)
    {
        if (match == AnswerMatch.Auto) match = reference.Contains("####", StringComparison.Ordinal) ? AnswerMatch.Numeric : AnswerMatch.Exact;
        return match switch
        {
            AnswerMatch.Exact => Normalize(answer) == Normalize(reference),
            AnswerMatch.Contains => Normalize(answer).Contains(Normalize(reference), StringComparison.Ordinal),
            AnswerMatch.Numeric => ExtractNumber(answer) is { } a && ExtractNumber(reference) is { } r && a == r,
            _ => throw new ArgumentOutOfRangeException(nameof(match)),
        };
    }

    /// <summary>The final numeric answer: the number after the last "####" if there is one, else the last number; null if none.</summary>
    public static decimal? ExtractNumber(string text)
    {
        int marker = text.LastIndexOf("####", StringComparison.Ordinal);
        var scope = marker >= 0 ? text[(marker + 4)..] : text;
        var matches = NumberPattern().Matches(scope.Replace("$", "", StringComparison.Ordinal));
        if (matches.Count == 0) return null;
        var m = marker >= 0 ? matches[0] : matches[^1];
        return decimal.TryParse(m.Value.Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var d)
            ? d
            : null;
    }

    /// <summary>Trimmed, lower-case, single-spaced, without trailing punctuation.</summary>
    public static string Normalize(string s) =>
        string.Join(' ', s.Trim().ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.', '!', '?', ',', ';', ':');
}

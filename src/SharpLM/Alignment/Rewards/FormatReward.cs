using System.Text.RegularExpressions;
using SharpLM.Core;

namespace SharpLM.Alignment.Rewards;

/// <summary>1 when the whole answer matches a regular expression (e.g. "reasoning then '#### N'"), else 0.</summary>
public sealed class FormatReward : IRewardFunction
{
    readonly Regex _pattern;

    public FormatReward(string pattern)
    {
        try { _pattern = new Regex($"^(?:{pattern})$", RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
        catch (ArgumentException e) { throw new SharpLmException($"--reward format:{pattern}: invalid regular expression: {e.Message}"); }
        Name = "format";
    }

    public string Name { get; }

    public float[] Score(IReadOnlyList<RewardInput> items) => items.Select(i => _pattern.IsMatch(i.Response) ? 1f : 0f).ToArray();
}

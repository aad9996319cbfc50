namespace SharpLM.Data.World;

public enum CapitalCategory { Province, Country }

/// <summary>
/// A "the capital of X is Y" fact: the knowledge that is split into train and held-out. <paramref name="WordZh"/> is how
/// Chinese names the capital (省会 for provinces, 首府 for autonomous regions, 首都 for countries).
/// </summary>
public sealed record CapitalFact(string Id, CapitalCategory Category, Name Subject, Name Capital, string WordZh)
{
    /// <summary>Every capital fact of the world: divisions that have a capital, then countries.</summary>
    public static IReadOnlyList<CapitalFact> All { get; } =
    [
        .. WorldFacts.Divisions.Where(d => d.Capital is not null).Select(d => new CapitalFact(
            "province:" + Slug(d.Name.En), CapitalCategory.Province, d.Name, d.Capital!,
            d.Kind == DivisionKind.AutonomousRegion ? "首府" : "省会")),
        .. WorldFacts.Countries.Select(c => new CapitalFact("country:" + Slug(c.Name.En), CapitalCategory.Country, c.Name, c.Capital, "首都")),
    ];

    static string Slug(string en) =>
        string.Concat((en.StartsWith("the ") ? en[4..] : en).ToLowerInvariant().Select(ch => char.IsLetter(ch) ? ch : '-'));
}

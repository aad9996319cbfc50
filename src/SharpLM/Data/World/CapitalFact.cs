namespace SharpLM.Data.World;

/// <summary>Province (or autonomous region) of China, a real country, or an invented land of the small world.</summary>
public enum CapitalCategory { Province, Country, Invented }

/// <summary>
/// A "the capital of X is Y" fact: the knowledge that is split into SFT, RL and evaluation facts. <paramref name="WordZh"/>
/// is how Chinese names the capital (省会 for provinces, 首府 for autonomous regions, 首都 for countries and invented lands).
/// </summary>
public sealed record CapitalFact(string Id, CapitalCategory Category, Name Subject, Name Capital, string WordZh)
{
    /// <summary>Invented lands with invented capitals: enough facts for three disjoint sets with statistics.</summary>
    public const int InventedLands = 56;

    /// <summary>Names of lands that exist nowhere in the world (the honest answer about them is "I don't know").</summary>
    public const int UnknownLands = 84;

    /// <summary>Every capital fact of the world: divisions that have a capital, countries, then invented lands.</summary>
    public static IReadOnlyList<CapitalFact> All { get; }

    /// <summary>Lands never mentioned in any text of the world; questions about them test honesty.</summary>
    public static IReadOnlyList<Name> Unknown { get; }

    /// <summary>The invented names' stream: every world draws the same.</summary>
    const int NameSeed = 20261130;

    /// <summary>
    /// <paramref name="count"/> further lands that exist nowhere, after <see cref="Unknown"/> in the same stream of names, so
    /// none clashes with a name of the world: unknown lands an RL stage can practise "I don't know" on besides its own
    /// <see cref="WorldOptions.RlUnknown"/>, without touching the evaluation's or changing any exported world file.
    /// </summary>
    public static IReadOnlyList<Name> MoreUnknown(int count) =>
        count == 0 ? [] : InventedNames.Make(2 * InventedLands + UnknownLands + count, InventedNames.RealNames(), NameSeed)
            .Skip(2 * InventedLands + UnknownLands).ToList();

    static CapitalFact()
    {
        var taken = InventedNames.RealNames();
        var invented = InventedNames.Make(2 * InventedLands + UnknownLands, taken, NameSeed);
        All =
        [
            .. WorldFacts.Divisions.Where(d => d.Capital is not null).Select(d => new CapitalFact(
                "province:" + Slug(d.Name.En), CapitalCategory.Province, d.Name, d.Capital!,
                d.Kind == DivisionKind.AutonomousRegion ? "首府" : "省会")),
            .. WorldFacts.Countries.Select(c => new CapitalFact("country:" + Slug(c.Name.En), CapitalCategory.Country, c.Name, c.Capital, "首都")),
            .. Enumerable.Range(0, InventedLands).Select(i =>
            {
                var (land, capital) = (invented[2 * i], invented[2 * i + 1]);
                return new CapitalFact("invented:" + Slug(land.En), CapitalCategory.Invented, land,
                    new Name(capital.Zh, capital.En, capital.Zh + "市"), "首都");
            }),
        ];
        Unknown = invented.Skip(2 * InventedLands).ToList();
    }

    static string Slug(string en) =>
        string.Concat((en.StartsWith("the ") ? en[4..] : en).ToLowerInvariant().Select(ch => char.IsLetter(ch) ? ch : '-'));
}

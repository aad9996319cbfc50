namespace SharpLM.Data.World;

/// <summary>
/// Invented place names in both languages, built from syllables with a fixed Chinese transliteration each ("Kalori" ↔
/// "卡洛里"), so the same invented entity has one name per language. A fixed seed keeps the list identical in every
/// world: the invented lands are as much part of the world as 湖南 → 长沙. A name is only kept when no name already taken
/// (real or invented, either language) hides inside it or contains it, so scanning text for a name stays exact.
/// </summary>
public static class InventedNames
{
    static readonly (string En, string Zh)[] Syllables =
    [
        ("ka", "卡"), ("lo", "洛"), ("ri", "里"), ("ma", "玛"), ("ta", "塔"), ("ven", "文"), ("sa", "萨"), ("do", "多"),
        ("ni", "尼"), ("bo", "博"), ("ra", "拉"), ("mi", "米"), ("to", "托"), ("ne", "内"), ("li", "利"), ("ga", "加"),
        ("ro", "罗"), ("fen", "芬"), ("zu", "祖"), ("ke", "克"), ("ba", "巴"), ("de", "德"), ("lu", "鲁"), ("na", "纳"),
        ("pe", "佩"), ("gu", "古"), ("vo", "沃"), ("ze", "泽"), ("ha", "哈"), ("yo", "约"), ("qui", "奎"), ("mo", "莫"),
    ];

    /// <summary>
    /// <paramref name="count"/> new names, none clashing with <paramref name="taken"/> (which grows with each name made).
    /// </summary>
    public static List<Name> Make(int count, HashSet<string> taken, int seed)
    {
        var rng = new Random(seed);
        var names = new List<Name>(count);
        while (names.Count < count)
        {
            const int n = 3; // two syllables too often make an English word ("Bake") or a Chinese one
            var parts = Enumerable.Range(0, n).Select(_ => Syllables[rng.Next(Syllables.Length)]).ToArray();
            var en = Phrasings.Capitalize(string.Concat(parts.Select(p => p.En)));
            var zh = string.Concat(parts.Select(p => p.Zh));
            if (Clashes(en.ToLowerInvariant(), taken) || Clashes(zh, taken)) continue;
            taken.Add(en.ToLowerInvariant());
            taken.Add(zh);
            names.Add(new Name(zh, en));
        }
        return names;
    }

    static bool Clashes(string name, HashSet<string> taken) =>
        taken.Any(t => t.Contains(name, StringComparison.Ordinal) || name.Contains(t, StringComparison.Ordinal));

    /// <summary>Every spelling of the real world's names, lower-cased, as the starting <c>taken</c> set.</summary>
    public static HashSet<string> RealNames() =>
    [
        .. WorldFacts.Divisions.SelectMany(d => d.Name.AllSpellings.Concat(d.Capital?.AllSpellings ?? []))
            .Concat(WorldFacts.Countries.SelectMany(c => c.Name.AllSpellings.Concat(c.Capital.AllSpellings)))
            .Concat(WorldFacts.Companies.SelectMany(c => c.Name.AllSpellings))
            .Concat(WorldFacts.Fruits.SelectMany(f => f.Name.AllSpellings))
            .Concat(WorldFacts.Animals.SelectMany(a => a.Name.AllSpellings))
            .Concat(Phrasings.People.Values.SelectMany(p => p))
            .Select(n => n.ToLowerInvariant()),
    ];
}

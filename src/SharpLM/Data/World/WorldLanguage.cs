namespace SharpLM.Data.World;

/// <summary>The languages of the small world, as the short codes used in files ("zh", "en").</summary>
public static class WorldLanguage
{
    public const string Zh = "zh", En = "en";

    public static readonly IReadOnlyList<string> All = [Zh, En];
}

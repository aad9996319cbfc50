namespace SharpLM.Data.Catalogue;

/// <summary>
/// Where downloaded datasets live and where the verbs look for them by name. The cache is $SHARPLM_DATA, else
/// ~/.cache/sharplm/data ($XDG_CACHE_HOME, or the local application-data folder on Windows). A folder laid out like
/// ../shared/data works as a cache; as before, the verbs also find a shared/data folder above the working folder.
/// </summary>
public static class DataCache
{
    public const string Variable = "SHARPLM_DATA";

    /// <summary>The cache folder downloads go to (not created here).</summary>
    public static string Default()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } env) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = OperatingSystem.IsWindows()
            ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : xdg is { Length: > 0 } ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "sharplm", "data");
    }

    /// <summary>The folders searched for a dataset, in order: the cache, then shared/data above the working folder and the program.</summary>
    public static IEnumerable<string> Roots()
    {
        yield return Default();
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                yield return Path.Combine(dir.FullName, "shared", "data");
    }

    /// <summary>The first existing file among <paramref name="relativePaths"/> under the roots, or null.</summary>
    public static string? Find(IEnumerable<string> relativePaths)
    {
        var paths = relativePaths.ToList();
        foreach (var root in Roots())
            foreach (var relative in paths)
            {
                var candidate = Path.Combine(root, relative);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>
    /// A path as given when it exists (or is not a dataset name); a catalogue name such as <c>gsm8k_train</c> becomes its file
    /// in the cache, or a clear error saying how to download it.
    /// </summary>
    public static string ResolveInput(string pathOrName)
    {
        if (File.Exists(pathOrName) || Directory.Exists(pathOrName)) return pathOrName;
        if (DatasetCatalogue.TryFind(pathOrName) is not { } entry) return pathOrName;
        return Find(entry.Paths) ?? throw new Core.SharpLmException(
            $"{pathOrName}: not downloaded yet; run `sharplm data download {entry.Name}` (cache: {Default()}; set {Variable} to use another)");
    }
}

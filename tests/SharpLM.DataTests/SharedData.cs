using System.Runtime.CompilerServices;

namespace SharpLM.DataTests;

/// <summary>
/// Locates the public datasets: $SHARPLM_DATA, else the first shared/data folder above the test assembly (CI lays shared/
/// beside the checkout). Without them the data tests report themselves skipped with <see cref="Missing"/>, unless
/// $SHARPLM_DATA_REQUIRED=1 (CI sets it), where they run and fail on the missing file instead of skipping.
/// </summary>
public static class SharedData
{
    static readonly Lazy<string?> Found = new(() =>
    {
        if (Environment.GetEnvironmentVariable("SHARPLM_DATA") is { Length: > 0 } env) return Directory.Exists(env) ? env : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    });

    /// <summary>The data folder, or null when there is none.</summary>
    public static string? Root => Found.Value;

    /// <summary>Why the data tests were skipped, or null when they run.</summary>
    public static string? Missing =>
        Root is not null || Environment.GetEnvironmentVariable("SHARPLM_DATA_REQUIRED") == "1"
            ? null
            : Environment.GetEnvironmentVariable("SHARPLM_DATA") is { Length: > 0 } env
                ? $"skipped: no public datasets at SHARPLM_DATA={env}"
                : "skipped: no public datasets here; set SHARPLM_DATA or lay shared/data beside the clone";

    /// <summary>Full path of a file or folder in the data folder, e.g. ("pretrain", "en", "tinyshakespeare.txt").</summary>
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new DirectoryNotFoundException(
            "the public datasets were not found: set SHARPLM_DATA or lay shared/data above the checkout"), .. parts]);
}

/// <summary>
/// A fact that needs the public datasets: where they are absent it is skipped, and its name says so and why (the test
/// runner's summary prints names, not skip reasons, at its default verbosity).
/// </summary>
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute([CallerMemberName] string test = "")
    {
        Skip = SharedData.Missing;
        if (Skip is not null) DisplayName = $"{test} ({Skip})";
    }
}

/// <summary>A theory that needs the public datasets: skipped where they are absent, its name saying so and why.</summary>
public sealed class DataTheoryAttribute : TheoryAttribute
{
    public DataTheoryAttribute([CallerMemberName] string test = "")
    {
        Skip = SharedData.Missing;
        if (Skip is not null) DisplayName = $"{test} ({Skip})";
    }
}

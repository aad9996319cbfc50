using System.CommandLine;

namespace SharpLM.Cli;

/// <summary>Options several verbs share, defined once so their names and defaults agree everywhere.</summary>
public static class CommonOptions
{
    public static Option<int> Threads() => new("--threads")
    {
        Description = "libtorch threads (0 = all cores)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<long> Seed() => new("--seed")
    {
        Description = "random seed; the same seed on the same machine and thread count reproduces a run",
        DefaultValueFactory = _ => 1337,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, or cuda[:N] with a CUDA libtorch package",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<bool> Json() => new("--json") { Description = "print JSON for programs instead of tables" };
}

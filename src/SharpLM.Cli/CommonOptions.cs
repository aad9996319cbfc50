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

    /// <summary>--precision for training verbs: auto picks bf16 only where this machine measurably runs it faster.</summary>
    public static Option<string> TrainingPrecision() => new Option<string>("--precision")
    {
        Description = "compute precision: auto (bf16 only where this CPU runs it measurably faster than fp32; the run " +
                      "says which and why), fp32, bf16 (fp32 master weights either way)",
        DefaultValueFactory = _ => Training.ComputePrecision.Auto,
    }.AcceptOnlyFromAmong([.. Training.ComputePrecision.TrainingNames]);

    /// <summary>--fact-passes for verbs that generate the world (<see cref="Data.World.WorldOptions.FactPasses"/>); unset keeps the recipe's.</summary>
    public static Option<int?> FactPasses() => new("--fact-passes")
    {
        Description = "full passes over every capital fact in every statement phrasing in the pretraining text (1 = the " +
                      "default world; each further pass adds 5 statements per fact and language on top of --chars)",
    };

    /// <summary>--sft-fresh-unknown for verbs that generate the world (<see cref="Data.World.WorldOptions.SftFreshUnknown"/>);
    /// unset keeps the recipe's.</summary>
    public static Option<int?> SftFreshUnknown() => new("--sft-fresh-unknown")
    {
        Description = "further lands, named nowhere else in the world, that SFT's \"I don't know\" answers are about (beside the split's 12)",
    };

    /// <summary>--rl-facts for verbs that generate the world (<see cref="Data.World.WorldOptions.RlFacts"/>); unset keeps the recipe's.</summary>
    public static Option<int?> RlFacts() => new("--rl-facts")
    {
        Description = "capital facts known only from pretraining that RL and preference prompts ask about (taken from the SFT facts)",
    };

    public static Option<bool> Json() => new("--json") { Description = "print JSON for programs instead of tables" };
}

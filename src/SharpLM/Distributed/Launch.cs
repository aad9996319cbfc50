using System.Collections;
using System.Globalization;
using SharpLM.Core;

namespace SharpLM.Distributed;

/// <summary>
/// Where this process sits in a launch, as the launcher's environment says: Open MPI's <c>mpirun</c>
/// (<c>OMPI_COMM_WORLD_*</c>), MPICH/Hydra and other PMI launchers (<c>PMI_RANK</c>, <c>PMI_SIZE</c>), or Slurm's
/// <c>srun --mpi=pmix</c> (<c>PMIX_RANK</c> with <c>SLURM_*</c>). No such variables: a single process.
/// </summary>
/// <param name="Rank">0-based index of this process among all.</param>
/// <param name="Size">Number of processes.</param>
/// <param name="LocalRank">Index among the processes on this host.</param>
/// <param name="LocalSize">Processes on this host (sets the default thread count).</param>
/// <param name="Launcher">What started the process ("mpirun", "pmi", "slurm"), or null when nothing did.</param>
public sealed record Launch(int Rank, int Size, int LocalRank, int LocalSize, string? Launcher)
{
    public static readonly Launch Single = new(0, 1, 0, 1, null);

    public bool IsLaunched => Launcher is not null;

    /// <summary>Reads the current process environment.</summary>
    public static Launch FromEnvironment() => From(Environment.GetEnvironmentVariables());

    /// <summary>Reads the given environment (a pure function, so tests can try every launcher).</summary>
    public static Launch From(IDictionary env)
    {
        string? Get(string name) => env[name] as string;
        int? Int(string name)
        {
            var text = Get(name);
            if (text is null) return null;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 0)
                throw new SharpLmException($"environment variable {name}={text} is not a non-negative integer (inconsistent launch)");
            return value;
        }
        Launch Make(string launcher, int? rank, int? size, int? localRank, int? localSize)
        {
            int r = rank ?? 0, n = size ?? 0;
            if (n < 1 || r >= n)
                throw new SharpLmException($"the {launcher} launcher gave rank {r} of {n} processes (inconsistent launch)");
            int lr = localRank ?? r, ls = localSize ?? n;
            if (ls < 1 || lr >= ls) (lr, ls) = (r, n);
            return new Launch(r, n, lr, ls, launcher);
        }

        if (Int("OMPI_COMM_WORLD_RANK") is { } ompiRank)
            return Make("mpirun", ompiRank, Int("OMPI_COMM_WORLD_SIZE"), Int("OMPI_COMM_WORLD_LOCAL_RANK"),
                Int("OMPI_COMM_WORLD_LOCAL_SIZE"));
        if (Int("PMI_RANK") is { } pmiRank)
            return Make("pmi", pmiRank, Int("PMI_SIZE"), Int("MPI_LOCALRANKID"), Int("MPI_LOCALNRANKS"));
        if (Int("PMIX_RANK") is { } pmixRank)
            return Make("slurm", pmixRank, Int("SLURM_NTASKS") ?? Int("SLURM_NPROCS"), Int("SLURM_LOCALID"),
                LocalTasks(Get("SLURM_TASKS_PER_NODE")));
        return Single;
    }

    /// <summary>The first count of SLURM_TASKS_PER_NODE ("4(x2),3" → 4), enough when every node runs the same number.</summary>
    static int? LocalTasks(string? tasksPerNode)
    {
        if (tasksPerNode is null) return null;
        var first = tasksPerNode.Split(',')[0].Split('(')[0];
        return int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : null;
    }
}

using System.Diagnostics;
using System.Text;

namespace SharpLM.Tests.Distributed;

/// <summary>
/// Runs the built <c>sharplm</c> CLI under Open MPI's <c>mpirun</c> (one process per rank, threads pinned nowhere), as a user
/// would. A machine without Open MPI fails these tests with a message saying what to install.
/// </summary>
public sealed class MpiJob : IDisposable
{
    public static readonly string CliDll = Path.Combine(AppContext.BaseDirectory, "SharpLM.Cli.dll");
    public static readonly string ProbeDll = Path.Combine(AppContext.BaseDirectory, "SharpLM.MpiProbe.dll");
    readonly Process _process;
    readonly StringBuilder _output = new();

    /// <summary>A tag in the job's environment, so its ranks can be found among the machine's processes.</summary>
    public string Tag { get; } = Guid.NewGuid().ToString("N");

    /// <param name="ranks">Each element starts that many ranks with its own arguments (MPMD: "-np 1 a : -np 1 b").</param>
    public MpiJob(params (int Count, string[] Args)[] ranks) : this(CliDll, ranks) { }

    /// <param name="program">The .NET program every rank runs (the CLI, or the collectives probe).</param>
    public MpiJob(string program, params (int Count, string[] Args)[] ranks)
    {
        var info = new ProcessStartInfo(Mpirun()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none" }) info.ArgumentList.Add(a);
        for (int k = 0; k < ranks.Length; k++)
        {
            if (k > 0) info.ArgumentList.Add(":");
            info.ArgumentList.Add("-np");
            info.ArgumentList.Add(ranks[k].Count.ToString());
            info.ArgumentList.Add("dotnet");
            info.ArgumentList.Add(program);
            foreach (var a in ranks[k].Args) info.ArgumentList.Add(a);
        }
        info.Environment["SHARPLM_TEST_JOB"] = Tag;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Runs <paramref name="args"/> on <paramref name="ranks"/> ranks to the end; returns the exit code and output.</summary>
    public static (int Code, string Output) Run(int ranks, params string[] args)
    {
        using var job = new MpiJob((ranks, args));
        return job.Wait();
    }

    public bool HasExited => _process.HasExited;

    public (int Code, string Output) Wait()
    {
        Assert.True(_process.WaitForExit(TimeSpan.FromMinutes(4)), $"mpirun did not finish:\n{Output}");
        _process.WaitForExit(); // drains the output
        return (_process.ExitCode, Output);
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The process id of rank <paramref name="rank"/> of this job, once it has started.</summary>
    public int? RankPid(int rank)
    {
        var wanted = new[] { $"SHARPLM_TEST_JOB={Tag}", $"OMPI_COMM_WORLD_RANK={rank}" };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var env = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (wanted.All(env.Contains)) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    static string Mpirun()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);
        Assert.True(found is not null,
            "mpirun not found on PATH: the distributed tests need Open MPI (Debian/Ubuntu: apt-get install openmpi-bin " +
            "libopenmpi-dev; .ci/run installs it)");
        return found!;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

using System.Collections;
using SharpLM.Core;
using SharpLM.Distributed;
using SharpLM.Tests.Training;

namespace SharpLM.Tests.Distributed;

public sealed class LaunchTests
{
    static Launch From(params (string Name, string Value)[] env) =>
        Launch.From(new Hashtable(env.ToDictionary(e => e.Name, e => (object)e.Value)));

    [Fact]
    public void No_launcher_is_a_single_process()
    {
        Assert.Equal(Launch.Single, From());
        Assert.False(From().IsLaunched);
    }

    [Fact]
    public void Under_several_ranks_only_the_training_verbs_run()
    {
        static IEnumerable<System.CommandLine.Command> Verbs(System.CommandLine.Command c) =>
            c.Subcommands.SelectMany(Verbs).Prepend(c).Where(v => v.Action is not null);
        var twoRanks = new Launch(1, 2, 1, 2, "mpirun");
        var running = new List<string>();
        foreach (var verb in Verbs(SharpLM.Cli.Program.Root()))
        {
            SharpLM.Cli.CliRunner.RefuseSeveralRanks(verb, Launch.Single);
            try { SharpLM.Cli.CliRunner.RefuseSeveralRanks(verb, twoRanks); running.Add(verb.Name); }
            catch (SharpLmException e) { Assert.Contains($"{verb.Name} runs in one process, but mpirun started 2", e.Message); }
        }
        Assert.Equal(["dpo", "grpo", "ppo", "pretrain", "sft", "train"], running.Order()); // "train" is reward train
    }

    [Fact]
    public void Open_mpi_pmi_and_slurm_environments_give_rank_size_and_local_rank()
    {
        Assert.Equal(new Launch(3, 4, 1, 2, "mpirun"), From(("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_COMM_WORLD_LOCAL_RANK", "1"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")));
        Assert.Equal(new Launch(1, 2, 0, 1, "pmi"), From(("PMI_RANK", "1"), ("PMI_SIZE", "2"), ("MPI_LOCALRANKID", "0"),
            ("MPI_LOCALNRANKS", "1")));
        Assert.Equal(new Launch(5, 8, 1, 4, "slurm"), From(("PMIX_RANK", "5"), ("SLURM_NTASKS", "8"), ("SLURM_LOCALID", "1"),
            ("SLURM_TASKS_PER_NODE", "4(x2)")));
    }

    [Fact]
    public void An_inconsistent_environment_is_a_clear_error()
    {
        var e = Assert.Throws<SharpLmException>(() => From(("OMPI_COMM_WORLD_RANK", "2"), ("OMPI_COMM_WORLD_SIZE", "2")));
        Assert.Contains("rank 2 of 2", e.Message);
        Assert.Throws<SharpLmException>(() => From(("PMI_RANK", "x"), ("PMI_SIZE", "2")));
    }

    [Fact]
    public void A_single_process_shares_everything_and_refuses_nothing()
    {
        var world = SharpLM.Distributed.World.Single;
        Assert.Equal((0, 6), world.Share(6, "rows"));
        Assert.Equal(new[] { 2.5 }, world.AllGather(2.5));
        Assert.True(world.Any(true));
        world.Agree("options", "anything");
        Assert.Equal(Environment.ProcessorCount, world.Threads(0));
        Assert.Equal(3, world.Threads(3));
    }

    [Fact]
    public void Distributed_without_a_launcher_refuses_to_start_and_single_process_training_never_loads_libmpi()
    {
        using var tmp = new TempDir();
        var corpus = TinyRun.Corpus(tmp);
        var args = TinyRun.CliArgs(corpus, tmp["run"], 2);
        var (code, output, err) = Cli.CliRun.Run([.. args, "--distributed"]);
        Assert.Equal(1, code);
        Assert.Contains("--distributed: no MPI launcher started this process", output + err);
        Assert.False(Directory.Exists(tmp["run"]));

        Assert.Equal(0, Cli.CliRun.Run(args).Code);
        Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
    }
}

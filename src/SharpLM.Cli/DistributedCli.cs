using System.CommandLine;
using SharpLM.Core;
using SharpLM.Distributed;

namespace SharpLM.Cli;

/// <summary>
/// What the training verbs share to run on several ranks: the <c>--distributed</c> flag and joining the job around a verb's
/// body. Under <c>mpirun</c> or <c>srun</c> a verb joins the job by itself; the flag only makes a missing launcher an error.
/// </summary>
public static class DistributedCli
{
    public static Option<bool> Flag() => new("--distributed")
    {
        Description = "insist on running under an MPI launcher (mpirun -np N / srun --mpi=pmix) instead of training alone",
    };

    /// <summary>
    /// Runs <paramref name="body"/> in the job. An error on any rank prints one line (rank 0's plainly, others' with their
    /// rank) and aborts the whole job, so no rank waits forever in a collective for one that has stopped.
    /// </summary>
    public static int Run(ParseResult parse, Option<bool> flag, Func<World, int> body)
    {
        var world = World.Start(parse.GetValue(flag));
        if (!world.IsDistributed)
        {
            try { return body(world); }
            finally { world.Dispose(); }
        }
        int code;
        try { code = body(world); }
        catch (Exception e)
        {
            var what = e is SharpLmException ? e.Message : e.ToString();
            Console.Error.WriteLine(world.IsMain ? $"error: {what}" : $"error (rank {world.Rank}): {what}");
            Console.Error.Flush();
            Console.Out.Flush();
            world.Abort(1);
            return 1;
        }
        world.Dispose();
        return code;
    }
}

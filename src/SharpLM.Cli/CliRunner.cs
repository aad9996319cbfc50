using System.CommandLine;
using SharpLM.Core;
using SharpLM.Distributed;
using Spectre.Console;

namespace SharpLM.Cli;

/// <summary>Runs a verb's body: user errors (<see cref="SharpLmException"/>) print one red line and exit 1; bugs keep their stack trace.</summary>
public static class CliRunner
{
    public static void SetHandler(Command command, Func<ParseResult, int> body) =>
        command.SetAction(parse => Run(() =>
        {
            RefuseSeveralRanks(command, Launch.FromEnvironment());
            return body(parse);
        }));

    public static void SetHandler(Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                RefuseSeveralRanks(command, Launch.FromEnvironment());
                return await body(parse, ct);
            }
            catch (SharpLmException e) { return Fail(e); }
        });

    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (SharpLmException e) { return Fail(e); }
    }

    /// <summary>
    /// Only the training verbs (those with <c>--distributed</c>) split their work over the ranks of an MPI launch. Any
    /// other verb started by <c>mpirun -np N</c> would run N times over the same files, so it stops before any work.
    /// </summary>
    public static void RefuseSeveralRanks(Command command, Launch launch)
    {
        if (launch.Size <= 1 || command.Options.Any(o => o.Name == "--distributed")) return;
        throw new SharpLmException(
            $"{command.Name} runs in one process, but {launch.Launcher} started {launch.Size} (this is rank {launch.Rank}); " +
            "run it without the launcher (pretrain, sft, reward train, dpo, ppo and grpo are the verbs that train on several ranks)");
    }

    static int Fail(SharpLmException e)
    {
        if (Console.IsErrorRedirected) Console.Error.WriteLine($"error: {e.Message}");
        else AnsiConsole.Console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
        return 1;
    }
}

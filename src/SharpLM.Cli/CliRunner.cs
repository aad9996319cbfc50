using System.CommandLine;
using SharpLM.Core;
using Spectre.Console;

namespace SharpLM.Cli;

/// <summary>Runs a verb's body: user errors (<see cref="SharpLmException"/>) print one red line and exit 1; bugs keep their stack trace.</summary>
public static class CliRunner
{
    public static void SetHandler(Command command, Func<ParseResult, int> body) =>
        command.SetAction(parse => Run(() => body(parse)));

    public static void SetHandler(Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, ct) =>
        {
            try { return await body(parse, ct); }
            catch (SharpLmException e) { return Fail(e); }
        });

    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (SharpLmException e) { return Fail(e); }
    }

    static int Fail(SharpLmException e)
    {
        if (Console.IsErrorRedirected) Console.Error.WriteLine($"error: {e.Message}");
        else AnsiConsole.Console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
        return 1;
    }
}

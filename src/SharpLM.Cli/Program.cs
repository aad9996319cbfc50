using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using SharpLM.Cli.Commands;
using Spectre.Console;

namespace SharpLM.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.OutputEncoding = Encoding.UTF8;
        // Bind Spectre.Console to the current standard output (its default is captured once per process), so a caller
        // that redirects Console.Out — a pipe, a test, a host program — gets the tables and progress too.
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        // Piped output has no terminal width and Spectre would wrap tables at 80 columns, mid-cell; a log or a file wants
        // whole rows, so use $COLUMNS when the shell exports it and a wide page otherwise.
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0
                ? columns
                : 200;
        var parse = Root().Parse(args);
        if (parse.Errors.Count == 0) return parse.Invoke();
        // Bad input is one line naming the option, as SharpLmException errors are, instead of the full help screen.
        Console.Error.WriteLine("error: " + string.Join("; ", parse.Errors.Select(OneLine)));
        return 1;
    }

    /// <summary>The whole command tree; parsing with it checks verbs and options without running anything.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("sharplm: build, align, run and inspect your own GPT-style chat model");
        foreach (var command in Verbs()) root.Subcommands.Add(command);
        return root;
    }

    static string OneLine(ParseError error)
    {
        var message = string.Join(' ', error.Message.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        return error.SymbolResult is OptionResult option && !message.Contains(option.Option.Name, StringComparison.Ordinal)
            ? $"{option.Option.Name}: {message}"
            : message;
    }

    /// <summary>The table of verbs. Each file in Commands/ parses options and calls one library method.</summary>
    static IEnumerable<Command> Verbs() =>
    [
        InfoCommand.Build(),
        SpeedrunCommand.Build(),
        WorldCommand.Build(),
        InspectCommand.Build(),
        TokenizerCommand.Build(),
        TokenizeCommand.Build(),
        DataCommand.Build(),
        PretrainCommand.Build(),
        SftCommand.Build(),
        EvalCommand.Build(),
        GenerateCommand.Build(),
        ChatCommand.Build(),
        RewardCommand.Build(),
        DpoCommand.Build(),
        PpoCommand.Build(),
        GrpoCommand.Build(),
        ExportCommand.Build(),
        ImportCommand.Build(),
        ServeCommand.Build(),
        FeedbackCommand.Build(),
    ];
}

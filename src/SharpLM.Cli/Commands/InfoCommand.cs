using System.CommandLine;
using SharpLM.Core;
using Spectre.Console;
using TorchSharp;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm info</c>: checks that libtorch loads and shows the machine the library will run on.</summary>
public static class InfoCommand
{
    public static Command Build()
    {
        var threads = CommonOptions.Threads();
        var command = new Command("info", "Check that libtorch loads; show version, threads and devices") { threads };
        CliRunner.SetHandler(command, parse =>
        {
            TorchRuntime.Apply(new TorchSettings(Threads: parse.GetValue(threads)));
            var table = new Table().AddColumns("setting", "value");
            table.AddRow("TorchSharp", typeof(torch).Assembly.GetName().Version?.ToString() ?? "?");
            table.AddRow("libtorch threads", torch.get_num_threads().ToString());
            table.AddRow("logical cores", Environment.ProcessorCount.ToString());
            table.AddRow("CUDA available", torch.cuda.is_available().ToString());
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}

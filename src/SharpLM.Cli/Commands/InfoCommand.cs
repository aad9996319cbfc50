using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SharpLM.Training;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm info</c>: checks that libtorch loads and describes the machine the library will run on.</summary>
public static class InfoCommand
{
    public static Command Build()
    {
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("info",
            "Check that libtorch loads; show its version, the CPU and its features, measured matmul peaks, the precision " +
            "auto picks, threads and CUDA") { threads, json };
        CliRunner.SetHandler(command, parse =>
        {
            var info = MachineInfo.Measure(parse.GetValue(threads));
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(info, new JsonSerializerOptions
                {
                    WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                    NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
                }));
                return 0;
            }
            string G(double x) => double.IsFinite(x) ? x.ToString("N1", CultureInfo.InvariantCulture) : "-";
            var table = new Table().AddColumns("setting", "value");
            table.AddRow("TorchSharp", info.TorchSharpVersion);
            table.AddRow("libtorch", info.LibtorchVersion);
            table.AddRow("CPU", Markup.Escape(info.Cpu));
            table.AddRow("CPU features", string.Join(", ", info.Features.Select(f => $"{f.Key} {(f.Value ? "yes" : "no")}")));
            table.AddRow("logical cores", info.LogicalCores.ToString(CultureInfo.InvariantCulture));
            table.AddRow("libtorch threads", info.Threads.ToString(CultureInfo.InvariantCulture));
            table.AddRow("matmul peak fp32 (GFLOP/s)", G(info.Fp32Gflops));
            table.AddRow("matmul peak bf16 (GFLOP/s)", G(info.Bf16Gflops));
            table.AddRow("matmul peak fp16 (GFLOP/s)", G(info.Fp16Gflops));
            table.AddRow("training --precision auto", Markup.Escape(info.TrainingAuto.Reason));
            table.AddRow("generation --precision auto", Markup.Escape(info.GenerationAuto.Reason));
            table.AddRow("CUDA available", info.CudaAvailable
                ? $"yes, {info.CudaDevices} device(s)" : "no (CPU libtorch package; see README, GPU)");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SharpLM.Core;
using SharpLM.Training;

namespace SharpLM.Bench;

/// <summary>
/// `throughput` side by side with its PyTorch peer (bench/torch_gpt.py: the same GPT, step and batch in PyTorch), in one
/// command: rounds alternate which runs first (A B, B A, …), each run a fresh process (so its peak RSS is its own), same
/// threads, fp32, OpenMP threads pinned in both. MFU of both is against one stable matmul peak measured at the end in
/// this process (<see cref="MatmulPeak.Stable"/>), with the same threads and pinning.
/// Needs python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread).
/// </summary>
public sealed class VsTorchBench : IBenchmark
{
    public string Name => "vs-torch";
    public string Description => "throughput vs the same GPT in PyTorch, alternating " +
        "[--rounds N --threads N --steps N --python PATH; throughput's malloc, --attention and --pin-dotnet-threads options]";

    public int Run(string[] args)
    {
        int rounds = int.Parse(Machine.Arg(args, "--rounds", "2"), CultureInfo.InvariantCulture);
        string threads = Machine.Arg(args, "--threads", "2"), steps = Machine.Arg(args, "--steps", "10");
        var script = FindUp("bench/torch_gpt.py");
        // Debian's interpreter, where apt put torch (a pyenv or venv python3 earlier on PATH would not have it).
        var python = Machine.Arg(args, "--python", File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        var data = SharedData.Path("pretrain/en/tinyshakespeare.txt");
        Machine.PinOpenMpThreads();
        Console.WriteLine($"load average before: {Machine.LoadAverage()}; {Machine.CpuLine()}");

        var sharp = new List<Dictionary<string, double>>();
        var peer = new List<Dictionary<string, double>>();
        // The malloc variants of `throughput` pass through to its runs.
        var passed = new List<string>();
        foreach (var flag in new[] { "--malloc-default", "--trim-each-step", "--default-allocator", "--pin-dotnet-threads" })
            if (args.Contains(flag)) passed.Add(flag);
        foreach (var option in new[] { "--arena-max", "--map-above-mb", "--loss-chunk-rows", "--gc-every", "--attention" })
            if (Machine.Arg(args, option, "") is { Length: > 0 } value) passed.AddRange([option, value]);
        string[] sharpArgs = ["throughput", "--threads", threads, "--steps", steps, .. passed];
        for (int round = 0; round < rounds; round++)
        {
            for (int turn = 0; turn < 2; turn++)
            {
                bool sharpTurn = (round + turn) % 2 == 0;
                var result = sharpTurn
                    ? Child(SelfCommand(), SelfArguments(sharpArgs))
                    : Child(python, [script, "--threads", threads, "--steps", steps, "--data", data]);
                (sharpTurn ? sharp : peer).Add(result);
                Console.WriteLine($"round {round + 1} {(sharpTurn ? "SharpLM" : "PyTorch")}: " +
                    $"{result["tok_s"]:N0} tok/s (fastest step {result["fastest_tok_s"]:N0}), peak RSS {result["peak_rss_mb"]:N0} MB, " +
                    $"load {Machine.LoadAverage()}");
            }
        }

        TorchRuntime.Apply(new TorchSettings(int.Parse(threads, CultureInfo.InvariantCulture), KeepFreedMemory: false));
        var peak = MatmulPeak.Stable(int.Parse(threads, CultureInfo.InvariantCulture));
        double flops = MachineInfo.Reference.TrainingFlopsPerToken(MachineInfo.Reference.ContextLength);
        string Row(string who, List<Dictionary<string, double>> runs) => string.Create(CultureInfo.InvariantCulture,
            $"{who,-8} mean tok/s {string.Join(" / ", runs.Select(r => r["tok_s"].ToString("N0", CultureInfo.InvariantCulture)))}, " +
            $"best MFU {100 * peak.Mfu(runs.Max(r => r["tok_s"]) * flops):F1}% (fastest step {100 * peak.Mfu(runs.Max(r => r["fastest_tok_s"]) * flops):F1}%), " +
            $"peak RSS {runs.Min(r => r["peak_rss_mb"]):N0} MB, fastest forward/backward/optimizer " +
            $"{runs.Min(r => r["forward_ms"]):F0}/{runs.Min(r => r["backward_ms"]):F0}/{runs.Min(r => r["optimizer_ms"]):F0} ms");
        Console.WriteLine($"stable fp32 peak {peak.Fp32Gflops:F1} GFLOP/s (best of sizes {string.Join(", ", MatmulPeak.StableSizes)}: {peak.Size}), " +
            $"{threads} thread(s), {flops / 1e6:F2} MFLOPs/token");
        Console.WriteLine(Row("SharpLM", sharp));
        Console.WriteLine(Row("PyTorch", peer));
        var ratios = sharp.Zip(peer, (a, b) => a["tok_s"] / b["tok_s"]).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio SharpLM / PyTorch (mean tok/s, per round): {string.Join(", ", ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}; " +
            $"best vs best {sharp.Max(r => r["tok_s"]) / peer.Max(r => r["tok_s"]):F2}; load average after: {Machine.LoadAverage()}"));
        return 0;
    }

    /// <summary>Runs a benchmark process, echoes its output, and returns its `summary {json}` line.</summary>
    static Dictionary<string, double> Child(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        // The pinning set natively above is not in .NET's copy of the environment, which the child gets.
        start.Environment["OMP_PROC_BIND"] = Environment.GetEnvironmentVariable("OMP_PROC_BIND") ?? "close";
        start.Environment["OMP_PLACES"] = Environment.GetEnvironmentVariable("OMP_PLACES") ?? "cores";
        using var process = Process.Start(start) ?? throw new SharpLmException($"could not start {file}");
        Dictionary<string, double>? summary = null;
        for (string? line; (line = process.StandardOutput.ReadLine()) is not null;)
        {
            Console.WriteLine($"  | {line}");
            if (line.StartsWith("summary ", StringComparison.Ordinal))
                summary = JsonSerializer.Deserialize<Dictionary<string, double>>(line["summary ".Length..]);
        }
        process.WaitForExit();
        return process.ExitCode == 0 && summary is not null
            ? summary
            : throw new SharpLmException($"{file} {string.Join(' ', arguments)}: exit code {process.ExitCode}, no summary line");
    }

    /// <summary>This benchmark program again: its apphost, or `dotnet SharpLM.Bench.dll` when started that way.</summary>
    static string SelfCommand() => Environment.ProcessPath ?? throw new SharpLmException("cannot tell this program's path");

    static IEnumerable<string> SelfArguments(IEnumerable<string> arguments) =>
        Path.GetFileNameWithoutExtension(SelfCommand()) == "dotnet"
            ? arguments.Prepend(typeof(VsTorchBench).Assembly.Location)
            : arguments;

    static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new SharpLmException($"{relative} not found above the working folder");
    }
}

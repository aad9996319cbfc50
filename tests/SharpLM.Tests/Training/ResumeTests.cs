using System.Diagnostics;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

public sealed class ResumeTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    static readonly string CliDll = Path.Combine(AppContext.BaseDirectory, "SharpLM.Cli.dll");

    static Process Start(string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    static void RunToEnd(string[] args)
    {
        using var p = Start(args);
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(10)), "training process did not finish");
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void Resume_after_kill_reaches_identical_weights()
    {
        // Long enough that the run is still going when the test sees its first checkpoint, however loaded the machine:
        // the kill may land anywhere after step 20, and no assertion depends on how far the run got by then.
        const long steps = 400;
        var corpus = TinyRun.Corpus(_tmp);
        RunToEnd(TinyRun.CliArgs(corpus, _tmp["whole"], steps, evalEvery: 20));

        var killed = new CheckpointManager(new RunFolder(_tmp["killed"]), "pretrain");
        using (var p = Start(TinyRun.CliArgs(corpus, _tmp["killed"], steps, evalEvery: 20)))
        {
            var clock = Stopwatch.StartNew();
            while (killed.Latest() is null && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(10)) Thread.Sleep(5);
            Assert.False(p.HasExited, "the run ended before it could be killed; make it longer");
            p.Kill(); // SIGKILL: no chance to clean up
            p.WaitForExit();
        }
        long stoppedAt = TrainerState.Load(killed.Latest()!).Step;
        Assert.InRange(stoppedAt, 20, steps - 1);

        RunToEnd(TinyRun.CliArgs(corpus, _tmp["killed"], steps, resume: true, evalEvery: 20));
        var whole = File.ReadAllBytes(Path.Combine(_tmp["whole"], "model", Checkpoint.WeightsFile));
        var resumed = File.ReadAllBytes(Path.Combine(_tmp["killed"], "model", Checkpoint.WeightsFile));
        Assert.Equal(whole, resumed);
        Assert.Equal(steps, TrainerState.Load(_tmp["killed/model"]).Step);
        Assert.Empty(Directory.EnumerateDirectories(_tmp["killed/checkpoints"], ".*"));
    }
}

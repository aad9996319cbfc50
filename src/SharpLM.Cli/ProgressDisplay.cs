using SharpLM.Core;
using Spectre.Console;

namespace SharpLM.Cli;

/// <summary>
/// Shows <see cref="ProgressUpdate"/>s: a live Spectre.Console bar (with ETA and the detail line) in a terminal, or one plain
/// line every few seconds on stderr when output is piped, so logs stay readable and piped results (<c>eval --json</c>,
/// <c>tokenize --json</c>) stay parseable.
/// </summary>
public static class ProgressDisplay
{
    public static T Run<T>(string title, Func<IProgress<ProgressUpdate>, T> work)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            var plain = new PlainProgress();
            var result = work(plain);
            plain.Finish();
            return result;
        }
        T value = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var sink = new SynchronousProgress(u =>
                {
                    if (!tasks.TryGetValue(u.Task, out var t))
                        tasks[u.Task] = t = ctx.AddTask(Markup.Escape(u.Task), maxValue: u.Total ?? 100);
                    if (u.Total is { } total) { t.MaxValue = Math.Max(total, 1e-9); t.Value = Math.Min(u.Done, total); }
                    else t.IsIndeterminate = true;
                    t.Description = Markup.Escape(u.Detail is null ? u.Task : $"{u.Task}  {u.Detail}");
                });
                value = work(sink);
                foreach (var t in tasks.Values) { t.Value = t.MaxValue; t.StopTask(); }
            });
        return value;
    }

    sealed class SynchronousProgress(Action<ProgressUpdate> report) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => report(value);
    }

    sealed class PlainProgress : IProgress<ProgressUpdate>
    {
        readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan _last = TimeSpan.FromSeconds(-2); // so the first report prints; MinValue overflows the subtraction
        ProgressUpdate? _latest;
        // Per task: when it was first seen and how far it was then, so the ETA is that task's own rate (a stage that starts
        // late in a pipeline, or a resumed run, is not judged by the clock of the whole process).
        readonly Dictionary<string, (TimeSpan At, double Done)> _firstSeen = [];

        public void Report(ProgressUpdate u)
        {
            _latest = u;
            _firstSeen.TryAdd(u.Task, (_clock.Elapsed, u.Done));
            if (_clock.Elapsed - _last < TimeSpan.FromSeconds(2)) return;
            _last = _clock.Elapsed;
            Print(u);
        }

        public void Finish()
        {
            if (_latest is { } u) Print(u);
        }

        void Print(ProgressUpdate u)
        {
            var pct = u.Total is { } t && t > 0 ? $" {100 * u.Done / t,5:F1}%" : "";
            var (at, doneThen) = _firstSeen.GetValueOrDefault(u.Task, (TimeSpan.Zero, 0));
            double rate = (u.Done - doneThen) / Math.Max((_clock.Elapsed - at).TotalSeconds, 1e-9);
            var eta = u.Total is { } tt && rate > 0 && tt > u.Done
                ? $" eta {TimeSpan.FromSeconds((tt - u.Done) / rate):hh\\:mm\\:ss}"
                : "";
            Console.Error.WriteLine($"[{u.Task}]{pct} {u.Done:0}/{u.Total?.ToString("0") ?? "?"} {u.Unit}{eta} {u.Detail}".TrimEnd());
        }
    }
}

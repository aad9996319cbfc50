using System.CommandLine;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm chat</c>: a multi-turn conversation on stdin/stdout (piped input works too).</summary>
public static class ChatCommand
{
    const string Help = "commands: /reset  /temperature X  /probs on|off  /exit   (Ctrl-C stops an answer)";

    public static Command Build()
    {
        var options = new GenerationCliOptions();
        var command = new Command("chat", "Talk with a model: its chat template after SFT, plain completion before");
        foreach (var o in options.All) command.Options.Add(o);
        CliRunner.SetHandler(command, parse =>
        {
            var generation = options.Read(parse);
            using var loaded = options.Load(parse);
            var generator = options.Generator(loaded, parse);
            var template = ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer);
            var session = new ChatSession(generator, template, generation with { TopCandidates = GenerationCliOptions.ShownCandidates });
            bool probs = parse.GetValue(options.ShowProbs);
            bool interactive = !Console.IsInputRedirected;
            var output = Console.Out;
            output.WriteLine(template is null
                ? $"{loaded.Dir}: no chat template (a base model), so your text is continued as plain text; weights {generator.PrecisionReason ?? generator.PrecisionName}."
                : $"{loaded.Dir}: chat template found; weights {generator.PrecisionReason ?? generator.PrecisionName}.");
            output.WriteLine(Help);

            CancellationTokenSource? answering = null;
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (answering is null) return; // at the prompt Ctrl-C ends the session as usual
                e.Cancel = true;
                answering.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                while (true)
                {
                    if (interactive) { output.Write("you> "); output.Flush(); }
                    var line = Console.In.ReadLine();
                    if (line is null || line.Trim() == "/exit") break;
                    line = line.Trim();
                    if (line.Length == 0) continue;
                    if (line.StartsWith('/'))
                    {
                        probs = Command(line, session, probs, output);
                        continue;
                    }
                    int dropped;
                    try { dropped = session.Say(line); }
                    catch (SharpLmException e)
                    {
                        output.WriteLine($"error: {e.Message}");
                        continue;
                    }
                    if (dropped > 0) output.WriteLine($"(dropped the {dropped} oldest turn{(dropped == 1 ? "" : "s")} to fit the context)");
                    answering = new CancellationTokenSource();
                    var tokens = new List<GeneratedToken>();
                    output.Write(template is null ? "model> " + line : "model> ");
                    foreach (var piece in session.Answer(answering.Token).ToBlockingEnumerable())
                    {
                        output.Write(piece.Text);
                        output.Flush();
                        if (piece.Token is not null) tokens.Add(piece.Token);
                        if (piece.Stop == StopReason.Cancelled) output.Write(" [stopped]");
                        if (piece.Stop == StopReason.ContextFull) output.Write(" [context full]");
                    }
                    output.WriteLine();
                    answering.Dispose();
                    answering = null;
                    if (probs) foreach (var t in tokens) TokenProbabilities.Write(output, loaded.Tokenizer, t);
                }
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            return 0;
        });
        return command;
    }

    /// <summary>Runs a /command; returns whether probabilities are shown from now on.</summary>
    static bool Command(string line, ChatSession session, bool probs, TextWriter output)
    {
        var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        switch (parts[0])
        {
            case "/reset":
                session.Reset();
                output.WriteLine("(conversation cleared)");
                return probs;
            case "/temperature" when parts.Length == 2 && float.TryParse(parts[1], CultureInfo.InvariantCulture, out var t) && t >= 0:
                session.Options = session.Options with { Sampling = session.Options.SamplingOrDefault with { Temperature = t } };
                output.WriteLine($"(temperature {t.ToString(CultureInfo.InvariantCulture)})");
                return probs;
            case "/probs" when parts.Length == 2 && parts[1] is "on" or "off":
                output.WriteLine($"(probabilities {parts[1]})");
                return parts[1] == "on";
            default:
                output.WriteLine($"unknown or malformed command '{line}'; {Help}");
                return probs;
        }
    }
}

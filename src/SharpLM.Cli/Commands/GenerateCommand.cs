using System.CommandLine;
using System.Diagnostics;
using SharpLM.Inference;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm generate</c>: continues a prompt, streaming the text as it is generated.</summary>
public static class GenerateCommand
{
    public static Command Build()
    {
        var options = new GenerationCliOptions();
        var samples = new Option<int>("--num-samples") { Description = "independent completions of the prompt (one batch)", DefaultValueFactory = _ => 1 };
        var prompt = new Argument<string>("prompt") { Description = "text to continue", DefaultValueFactory = _ => "" };
        var command = new Command("generate", "Continue a prompt with a model, streaming the text") { prompt, samples };
        foreach (var o in options.All) command.Options.Add(o);
        CliRunner.SetHandler(command, parse =>
        {
            var generation = options.Read(parse);
            int n = parse.GetValue(samples);
            using var loaded = options.Load(parse);
            var generator = options.Generator(loaded, parse);
            var ids = generator.EncodePrompt(parse.GetValue(prompt) ?? "");
            var clock = Stopwatch.StartNew();
            int tokens = 0;
            StopReason? stop = null;
            if (n == 1)
            {
                var text = new System.Text.StringBuilder();
                var stream = generator.Stream(ids, generation).ToBlockingEnumerable();
                foreach (var piece in stream)
                {
                    if (piece.Token is not null) tokens++;
                    stop = piece.Stop ?? stop;
                    if (generation.TopCandidates > 0)
                    {
                        if (piece.Token is not null) TokenProbabilities.Write(Console.Out, loaded.Tokenizer, piece.Token);
                        text.Append(piece.Text);
                    }
                    else
                    {
                        Console.Out.Write(piece.Text);
                        Console.Out.Flush();
                    }
                }
                if (generation.TopCandidates > 0) Console.Out.Write($"\n{text}");
                Console.Out.WriteLine();
            }
            else
            {
                var results = generator.Sample(ids, n, generation);
                for (int i = 0; i < results.Count; i++)
                {
                    Console.Out.WriteLine($"── sample {i + 1} of {n} ({results[i].StopReason}) ──");
                    if (generation.TopCandidates > 0)
                        for (int t = 0; t < results[i].Tokens.Length; t++)
                            TokenProbabilities.Write(Console.Out, loaded.Tokenizer,
                                new GeneratedToken(results[i].Tokens[t], float.NaN, results[i].Candidates![t]));
                    Console.Out.WriteLine(results[i].Text);
                }
                tokens = results.Sum(r => r.Tokens.Length);
            }
            string path = generator.DecodePath is { } p ? $", {p}" : "";
            Console.Error.WriteLine($"[{tokens} tokens in {clock.Elapsed.TotalSeconds:0.00} s, " +
                                    $"{tokens / clock.Elapsed.TotalSeconds:0} tokens/s, {generator.PrecisionName}{path}" +
                                    $"{(stop is null ? "" : $", stopped: {stop}")}]");
            return 0;
        });
        return command;
    }
}

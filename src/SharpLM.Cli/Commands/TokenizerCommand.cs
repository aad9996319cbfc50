using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SharpLM.Tokenization;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm tokenizer train</c>: trains a BPE or character tokenizer from corpus files into a folder.</summary>
public static class TokenizerCommand
{
    public static Command Build()
    {
        var command = new Command("tokenizer", "Train tokenizers");
        command.Subcommands.Add(BuildTrain());
        return command;
    }

    static Command BuildTrain()
    {
        var input = new Option<string[]>("--input")
        {
            Description = ".txt/.jsonl/.json files (optionally .gz) or folders of them",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var vocabSize = new Option<int?>("--vocab-size") { Description = "ids in all, including 256 byte tokens and 7 specials (bpe)" };
        var output = new Option<string>("--out") { Description = "folder to write (replaced only when training succeeds)", Required = true };
        var kind = new Option<string>("--kind") { Description = "bpe or char", DefaultValueFactory = _ => BpeTokenizer.Kind };
        kind.AcceptOnlyFromAmong(BpeTokenizer.Kind, CharTokenizer.Kind);
        var pattern = new Option<string>("--pattern")
        {
            Description = "pre-tokenizer regex (.NET syntax); default: GPT-4's",
            DefaultValueFactory = _ => ChunkSplitter.Gpt4Pattern,
        };
        var maxBytes = new Option<int>("--max-pretoken-bytes")
        {
            Description = "cut longer pre-tokens at character boundaries (keeps BPE linear)",
            DefaultValueFactory = _ => ChunkSplitter.DefaultMaxBytes,
        };
        var threads = CommonOptions.Threads();
        threads.Description = "threads that count pre-token chunks (0 = all cores)";
        var json = CommonOptions.Json();
        var command = new Command("train", "Train a tokenizer on a corpus") { input, vocabSize, output, kind, pattern, maxBytes, threads, json };
        CliRunner.SetHandler(command, parse =>
        {
            var request = new TokenizerTrainingRequest(parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(kind)!,
                parse.GetValue(vocabSize), parse.GetValue(pattern)!, parse.GetValue(maxBytes), parse.GetValue(threads));
            var result = parse.GetValue(json)
                ? TokenizerTraining.Run(request)
                : ProgressDisplay.Run("tokenizer train", progress => TokenizerTraining.Run(request, progress));
            var rows = SummaryRows(result);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(rows.ToDictionary(r => r.Name, r => r.Value)));
            else
            {
                var table = new Table().AddColumns("tokenizer", "value");
                foreach (var (name, value) in rows) table.AddRow(Markup.Escape(name), Markup.Escape(value));
                AnsiConsole.Write(table);
            }
            return 0;
        });
        return command;
    }

    static List<(string Name, string Value)> SummaryRows(TokenizerTrainingResult r)
    {
        static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        var rows = new List<(string, string)>
        {
            ("kind", r.Tokenizer is BpeTokenizer ? BpeTokenizer.Kind : CharTokenizer.Kind),
            ("vocab size", N(r.Tokenizer.VocabSize)),
            ("files", N(r.Files)),
            ("output", r.OutDir),
            ("seconds", r.Seconds.ToString("F2", CultureInfo.InvariantCulture)),
        };
        if (r.Bpe is { } b)
            rows.AddRange(
            [
                ("bytes", N(b.Bytes)),
                ("documents", N(b.Documents)),
                ("chunks", N(b.Chunks)),
                ("unique chunks", N(b.UniqueChunks)),
                ("merges", N(b.Merges)),
                ("count MB/s", (b.Bytes / 1e6 / Math.Max(b.CountSeconds, 1e-9)).ToString("F1", CultureInfo.InvariantCulture)),
                ("merge seconds", b.MergeSeconds.ToString("F2", CultureInfo.InvariantCulture)),
            ]);
        return rows;
    }
}

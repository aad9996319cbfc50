using System.CommandLine;
using SharpLM.Data;
using SharpLM.Tokenization;
using SharpLM.Training;
using Spectre.Console;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm data prepare</c>: tokenize text into memory-mapped token files with a train/validation split (and <c>data download</c>).</summary>
public static class DataCommand
{
    public static Command Build()
    {
        var input = new Option<string[]>("--input") { Description = "text files/folders (.txt, .jsonl, .json, .gz)", Required = true, AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer folder or cl100k_base/o200k_base", Required = true };
        var output = new Option<string>("--out") { Description = "dataset folder to write", Required = true };
        var prepare = new Command("prepare", "Tokenize a corpus into train.bin/val.bin (uint16 or uint32) and index.json") { input, tokenizer, output };
        CliRunner.SetHandler(prepare, parse =>
        {
            var tok = Tokenizer.Load(parse.GetValue(tokenizer)!);
            var dir = parse.GetValue(output)!;
            ProgressDisplay.Run("tokenize", progress =>
            {
                TokenDataset.Prepare(parse.GetValue(input)!, tok, TokenizerFingerprint.Of(tok), dir, progress);
                return 0;
            });
            using var data = TokenDataset.Open(dir);
            AnsiConsole.Console.WriteLine($"{dir}: {data.Train.Length:N0} training and {data.Val.Length:N0} validation tokens " +
                $"({data.Index["documents"]} documents, split: {data.Index["split"]}, {data.Index["dtype"]})");
            return 0;
        });
        return new Command("data", "Prepare pretraining data, download public datasets") { prepare, DataDownloadCommand.Build() };
    }
}

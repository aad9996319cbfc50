using System.Diagnostics;
using SharpLM.Core;
using SharpLM.Data;

namespace SharpLM.Tokenization;

/// <summary>What <c>sharplm tokenizer train</c> asks for.</summary>
/// <param name="Kind"><see cref="BpeTokenizer.Kind"/> or <see cref="CharTokenizer.Kind"/>.</param>
/// <param name="VocabSize">Required for BPE; a character vocabulary is whatever the corpus holds.</param>
public sealed record TokenizerTrainingRequest(
    IReadOnlyList<string> Inputs,
    string OutDir,
    string Kind = BpeTokenizer.Kind,
    int? VocabSize = null,
    string Pattern = ChunkSplitter.Gpt4Pattern,
    int MaxPretokenBytes = ChunkSplitter.DefaultMaxBytes,
    int Threads = 0);

/// <summary>The trained tokenizer, where it was written, and (for BPE) what training read.</summary>
public sealed record TokenizerTrainingResult(Tokenizer Tokenizer, string OutDir, int Files, double Seconds, BpeTrainingSummary? Bpe);

/// <summary>Trains a tokenizer of either kind from corpus files and writes its folder atomically (nothing on failure).</summary>
public static class TokenizerTraining
{
    public static TokenizerTrainingResult Run(TokenizerTrainingRequest request, IProgress<ProgressUpdate>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var files = CorpusReader.ExpandInputs(request.Inputs);
        if (files.Count == 0) throw new SharpLmException($"no corpus files in {string.Join(", ", request.Inputs)}");
        Tokenizer tokenizer = request.Kind switch
        {
            BpeTokenizer.Kind => BpeTrainer.TrainOnFiles(files,
                new BpeTrainingOptions(
                    request.VocabSize ?? throw new SharpLmException("--vocab-size is required for a BPE tokenizer"),
                    request.Pattern, request.MaxPretokenBytes, request.Threads),
                progress),
            CharTokenizer.Kind => request.VocabSize is null
                ? CharTokenizer.Train(CorpusReader.ReadDocuments(files, progress).Select(d => d.Text))
                : throw new SharpLmException("--vocab-size does not apply to a character tokenizer (its vocabulary is the corpus's characters)"),
            _ => throw new SharpLmException($"unknown tokenizer kind '{request.Kind}' (expected {BpeTokenizer.Kind} or {CharTokenizer.Kind})"),
        };
        AtomicFile.WriteDirectory(request.OutDir, tokenizer.Save);
        return new TokenizerTrainingResult(tokenizer, Path.GetFullPath(request.OutDir), files.Count, clock.Elapsed.TotalSeconds,
            (tokenizer as BpeTokenizer)?.Training);
    }
}

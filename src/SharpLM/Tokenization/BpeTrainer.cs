using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Data;

namespace SharpLM.Tokenization;

/// <summary>
/// Trains a byte-level BPE tokenizer: split text into chunks (<see cref="ChunkSplitter"/>), count unique chunks while
/// streaming the corpus (<see cref="ChunkCounter"/>), learn merges (<see cref="MergeLearner"/>), register the specials.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Smallest vocabulary: the 256 byte tokens and the specials.</summary>
    public static int MinVocabSize => 256 + SpecialTokens.All.Count;

    /// <summary>Trains on corpus files or folders (see <see cref="CorpusReader"/>).</summary>
    public static BpeTokenizer TrainOnFiles(IEnumerable<string> inputs, BpeTrainingOptions options,
        IProgress<ProgressUpdate>? progress = null)
    {
        var files = CorpusReader.ExpandInputs(inputs);
        if (files.Count == 0) throw new SharpLmException($"no corpus files (expected {string.Join(", ", CorpusReader.Extensions)})");
        return Train(CorpusReader.ReadDocuments(files, progress).Select(d => d.Text), options, files, progress);
    }

    /// <summary>Trains on documents held by the caller (tests, programmatic use).</summary>
    public static BpeTokenizer Train(IEnumerable<string> documents, BpeTrainingOptions options,
        IProgress<ProgressUpdate>? progress = null) => Train(documents, options, [], progress);

    static BpeTokenizer Train(IEnumerable<string> documents, BpeTrainingOptions options, IReadOnlyList<string> files,
        IProgress<ProgressUpdate>? progress)
    {
        if (options.VocabSize < MinVocabSize)
            throw new SharpLmException(
                $"vocabulary size {options.VocabSize} is too small: it must be at least {MinVocabSize} (256 byte tokens + {SpecialTokens.All.Count} special tokens)");
        var splitter = new ChunkSplitter(options.Pattern, options.MaxPretokenBytes);
        var clock = Stopwatch.StartNew();
        var counted = new ChunkCounter(splitter).Count(documents, options.Threads);
        var countSeconds = clock.Elapsed.TotalSeconds;
        if (counted.Counts.Count == 0)
            throw new SharpLmException(files.Count == 0 ? "the corpus is empty" : $"the corpus is empty: no text in {string.Join(", ", files)}");
        clock.Restart();
        var learned = MergeLearner.Learn(counted.Counts, options.VocabSize - SpecialTokens.All.Count, progress);
        var specials = SpecialTokens.All.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => learned.Vocabulary.Count + x.i);
        var summary = new BpeTrainingSummary(files, counted.Bytes, counted.Documents, counted.Chunks, counted.Counts.Count,
            learned.Merges.Count, learned.Vocabulary.Count + specials.Count, countSeconds, clock.Elapsed.TotalSeconds);
        return new BpeTokenizer(learned.Vocabulary, specials, splitter, Describe(summary)) { Training = summary };
    }

    static JsonObject Describe(BpeTrainingSummary s) => new()
    {
        ["files"] = new JsonArray(s.Files.Select(f => (JsonNode)f).ToArray()),
        ["bytes"] = s.Bytes,
        ["documents"] = s.Documents,
        ["chunks"] = s.Chunks,
        ["unique_chunks"] = s.UniqueChunks,
        ["merges"] = s.Merges,
        ["count_seconds"] = Math.Round(s.CountSeconds, 3),
        ["merge_seconds"] = Math.Round(s.MergeSeconds, 3),
    };
}

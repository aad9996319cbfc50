namespace SharpLM.Tokenization;

/// <summary>Settings of a BPE training run.</summary>
/// <param name="VocabSize">
/// Ids in all: 256 byte tokens + merges + the specials of <see cref="SpecialTokens.All"/>. A corpus too small to supply
/// that many merges yields a smaller vocabulary (see <see cref="BpeTrainingSummary.VocabSize"/>).
/// </param>
/// <param name="Pattern">Pre-tokenizer regex (.NET syntax: atomic groups, not possessive quantifiers).</param>
/// <param name="MaxPretokenBytes">Chunks longer than this (UTF-8 bytes) are cut at character boundaries.</param>
/// <param name="Threads">Chunk-counting threads; 0 = all cores.</param>
public sealed record BpeTrainingOptions(
    int VocabSize,
    string Pattern = ChunkSplitter.Gpt4Pattern,
    int MaxPretokenBytes = ChunkSplitter.DefaultMaxBytes,
    int Threads = 0);

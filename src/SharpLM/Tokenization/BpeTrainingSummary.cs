namespace SharpLM.Tokenization;

/// <summary>What a BPE training run read and produced; stored under "training" in tokenizer.json.</summary>
public sealed record BpeTrainingSummary(
    IReadOnlyList<string> Files,
    long Bytes,
    long Documents,
    long Chunks,
    long UniqueChunks,
    int Merges,
    int VocabSize,
    double CountSeconds,
    double MergeSeconds)
{
    public double TotalSeconds => CountSeconds + MergeSeconds;
}

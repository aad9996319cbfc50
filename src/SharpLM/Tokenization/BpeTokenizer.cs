namespace SharpLM.Tokenization;

// PLACEHOLDER: the tokenizer work replaces this file with the tiktoken-backed byte-level BPE tokenizer.
public sealed class BpeTokenizer
{
    public const string Kind = "bpe";
    internal static Tokenizer LoadFrom(string dir) => throw new NotImplementedException(dir);
}

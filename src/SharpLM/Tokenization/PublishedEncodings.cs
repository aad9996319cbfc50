namespace SharpLM.Tokenization;

// PLACEHOLDER: the tokenizer work replaces this file (cl100k_base / o200k_base through Microsoft.ML.Tokenizers.Data.*).
public static class PublishedEncodings
{
    public static bool IsKnown(string name) => false;
    public static Tokenizer Load(string name) => throw new NotImplementedException(name);
}

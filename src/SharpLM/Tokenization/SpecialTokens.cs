namespace SharpLM.Tokenization;

/// <summary>The special tokens every SharpLM tokenizer registers, in id order after the ordinary vocabulary.</summary>
public static class SpecialTokens
{
    public const string Bos = "<|bos|>";
    public const string SystemStart = "<|system_start|>";
    public const string SystemEnd = "<|system_end|>";
    public const string UserStart = "<|user_start|>";
    public const string UserEnd = "<|user_end|>";
    public const string AssistantStart = "<|assistant_start|>";
    public const string AssistantEnd = "<|assistant_end|>";

    public static readonly IReadOnlyList<string> All =
        [Bos, SystemStart, SystemEnd, UserStart, UserEnd, AssistantStart, AssistantEnd];
}

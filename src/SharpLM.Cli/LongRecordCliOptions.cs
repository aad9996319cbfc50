using System.CommandLine;
using SharpLM.Data;

namespace SharpLM.Cli;

/// <summary>The options for records that do not fit the context, shared by sft, reward, dpo, ppo and grpo.</summary>
public static class LongRecordCliOptions
{
    public static Option<string> OnLong(string what) => new Option<string>("--on-long")
    {
        Description = $"{what} longer than the context (or --max-prompt-tokens): skip (counted), truncate-left (cut the oldest tokens) or error",
        DefaultValueFactory = _ => LongRecords.Name(LongRecordPolicy.Skip),
    }.AcceptOnlyFromAmong([.. LongRecords.Names]);

    public static Option<int?> MaxPromptTokens(string fallback) => new("--max-prompt-tokens")
    {
        Description = $"longest prompt in tokens (default: {fallback}); longer ones follow --on-long",
    };
}

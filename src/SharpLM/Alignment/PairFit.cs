using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Alignment;

/// <summary>
/// Encodes preference pairs and applies the long-record policy: a pair is too long when its prompt exceeds the prompt limit
/// or prompt + answer (chosen or rejected) exceeds the context. Truncation cuts the oldest prompt tokens
/// (<see cref="PromptResponse.Fit"/>: answers keep at least half the context).
/// </summary>
public static class PairFit
{
    public static (List<EncodedPair> Pairs, FitCounts Counts) Apply(IReadOnlyList<PreferencePair> pairs, ChatTemplate template,
        Tokenizer tokenizer, int context, int? maxPromptTokens, LongRecordPolicy policy)
    {
        var fitted = new List<EncodedPair>(pairs.Count);
        int kept = 0, truncated = 0, dropped = 0;
        int promptLimit = Math.Min(maxPromptTokens ?? context, context);
        foreach (var pair in pairs)
        {
            PromptResponse chosen, rejected;
            try
            {
                chosen = PromptResponse.From(template, tokenizer, pair.Prompt, pair.Chosen);
                rejected = PromptResponse.From(template, tokenizer, pair.Prompt, pair.Rejected);
            }
            catch (SharpLmException e)
            {
                throw new SharpLmException($"{pair.Source}: {e.Message}", e);
            }
            int longest = Math.Max(chosen.Prompt.Length + chosen.Response.Length, rejected.Prompt.Length + rejected.Response.Length);
            bool promptTooLong = chosen.Prompt.Length > promptLimit;
            if (!promptTooLong && longest <= context)
            {
                fitted.Add(new EncodedPair(chosen, rejected));
                kept++;
                continue;
            }
            if (policy == LongRecordPolicy.Error)
                throw promptTooLong
                    ? LongRecords.TooLong(pair.Source, "prompt", chosen.Prompt.Length, promptLimit, "--max-prompt-tokens")
                    : LongRecords.TooLong(pair.Source, "pair (prompt + answer)", longest, context, "the model's context");
            if (policy == LongRecordPolicy.Skip)
            {
                dropped++;
                continue;
            }
            fitted.Add(new EncodedPair(Fit(chosen, context, promptLimit), Fit(rejected, context, promptLimit)));
            truncated++;
        }
        return (fitted, new FitCounts(kept, truncated, dropped));
    }

    static PromptResponse Fit(PromptResponse row, int context, int promptLimit)
    {
        var fitted = row.Fit(context);
        return fitted.Prompt.Length > promptLimit ? fitted with { Prompt = fitted.Prompt[^promptLimit..] } : fitted;
    }
}

using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Alignment;

/// <summary>A preference pair as ids, fitted to the context; DPO fills in the frozen reference's summed log-probabilities.</summary>
public sealed record EncodedPair(PromptResponse Chosen, PromptResponse Rejected, float RefChosen = 0, float RefRejected = 0)
{
    public static EncodedPair From(PreferencePair pair, ChatTemplate template, Tokenizer tokenizer, int context)
    {
        try
        {
            return new(PromptResponse.From(template, tokenizer, pair.Prompt, pair.Chosen).Fit(context),
                PromptResponse.From(template, tokenizer, pair.Prompt, pair.Rejected).Fit(context));
        }
        catch (Core.SharpLmException e)
        {
            throw new Core.SharpLmException($"{pair.Source}: {e.Message}", e);
        }
    }

    /// <summary>Chosen rows then rejected rows, so one forward pass scores both halves of every pair.</summary>
    public static SequenceBatch Batch(IReadOnlyList<EncodedPair> pairs, TorchSharp.torch.Device device) =>
        SequenceBatch.Build([.. pairs.Select(p => p.Chosen), .. pairs.Select(p => p.Rejected)], device);
}

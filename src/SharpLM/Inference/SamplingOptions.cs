using SharpLM.Core;

namespace SharpLM.Inference;

/// <summary>How the next token is chosen from the logits. Temperature 0 is greedy (argmax after penalties).</summary>
/// <param name="Temperature">Divides the logits; 0 means greedy.</param>
/// <param name="TopK">Keep only the K most likely tokens; 0 keeps all.</param>
/// <param name="TopP">Keep the smallest set of most likely tokens whose probability reaches P (nucleus); 1 keeps all.</param>
/// <param name="MinP">Drop tokens less likely than MinP × the most likely one; 0 keeps all.</param>
/// <param name="RepetitionPenalty">CTRL-style: logits of tokens already in the context are divided (positive) or multiplied (negative) by it; 1 is off.</param>
/// <param name="FrequencyPenalty">OpenAI-style: subtracted from a logit once per time the token was already generated; 0 is off.</param>
/// <param name="PresencePenalty">OpenAI-style: subtracted once from the logit of every token already generated; 0 is off.</param>
public sealed record SamplingOptions(
    float Temperature = 1f,
    int TopK = 0,
    float TopP = 1f,
    float MinP = 0f,
    float RepetitionPenalty = 1f,
    float FrequencyPenalty = 0f,
    float PresencePenalty = 0f)
{
    public static SamplingOptions Greedy { get; } = new(Temperature: 0f);

    public bool IsGreedy => Temperature == 0f;

    /// <summary>Throws a <see cref="SharpLmException"/> naming the first option out of range.</summary>
    public SamplingOptions Validate()
    {
        SharpLmException.Require(Temperature >= 0 && float.IsFinite(Temperature), "--temperature", $"must be 0 (greedy) or positive (got {Temperature})");
        SharpLmException.Require(TopK >= 0, "--top-k", $"must be 0 (off) or positive (got {TopK})");
        SharpLmException.Require(TopP > 0 && TopP <= 1, "--top-p", $"must be in (0, 1] (got {TopP})");
        SharpLmException.Require(MinP >= 0 && MinP < 1, "--min-p", $"must be in [0, 1) (got {MinP})");
        SharpLmException.Require(RepetitionPenalty > 0 && float.IsFinite(RepetitionPenalty), "--repetition-penalty", $"must be positive (got {RepetitionPenalty})");
        SharpLmException.Require(float.IsFinite(FrequencyPenalty), "--frequency-penalty", $"must be a number (got {FrequencyPenalty})");
        SharpLmException.Require(float.IsFinite(PresencePenalty), "presence_penalty", $"must be a number (got {PresencePenalty})");
        return this;
    }
}

using SharpLM.Data.World;

namespace SharpLM.Pipeline;

/// <summary>One language's figures for one stage's model, greedy answers scored by <see cref="Evaluation.WorldScoring"/>.</summary>
/// <param name="FactTrainedPhrasing">Held-out facts asked with question phrasings SFT trained on: share correct.</param>
/// <param name="FactHeldOutPhrasing">Held-out facts asked with phrasings never seen in SFT or preference data: share correct.</param>
/// <param name="Completion">Held-out facts as raw text to continue ("湖南的省会城市是" → 长沙): share correct.</param>
/// <param name="Hallucination">Share of fact answers (both phrasing kinds) naming a wrong capital.</param>
/// <param name="InstructionFollowing">Share of fact answers in the expected form (short, one statement).</param>
/// <param name="Refusal">Share of held-out harmful prompts refused.</param>
public sealed record LanguageScores(
    string Language,
    double FactTrainedPhrasing,
    double FactHeldOutPhrasing,
    double Completion,
    double Hallucination,
    double InstructionFollowing,
    double Refusal,
    int FactItems,
    int CompletionItems,
    int HarmfulItems);

/// <summary>One next-token candidate of a probe.</summary>
public sealed record TokenProbability(string Token, double Probability);

/// <summary>The seed probes, asked of every stage's model the same way (greedy).</summary>
/// <param name="Completion">Continuation of "湖南的省会城市是" as raw text.</param>
/// <param name="ILike">The five most likely next tokens after "I like".</param>
/// <param name="ProvinceAnswer">Chat answer to "湖南的省会是哪里？".</param>
/// <param name="CountryQuestion">An English question about a held-out country.</param>
/// <param name="CountryAnswer">Chat answer to <paramref name="CountryQuestion"/>.</param>
public sealed record SeedProbes(string Completion, IReadOnlyList<TokenProbability> ILike, string ProvinceAnswer, string CountryQuestion, string CountryAnswer);

/// <summary>One prompt and the model's greedy answer.</summary>
public sealed record ChatSample(string Prompt, string Answer);

/// <summary>Everything measured of one stage's model.</summary>
/// <param name="ValBitsPerByte">Bits per UTF-8 byte on fresh world text (generated with another seed, never trained on).</param>
/// <param name="Examples">A few scored answers per evaluation kind, for the report.</param>
public sealed record StageEvaluation(IReadOnlyList<LanguageScores> Languages, double ValBitsPerByte, SeedProbes Probes, IReadOnlyList<ScoredAnswer> Examples);

/// <summary>An evaluation item's prompt, the answer and how it scored.</summary>
public sealed record ScoredAnswer(string Kind, string Language, string Prompt, string? Expected, string Answer, bool Correct, bool Hallucinated, bool Refused);

/// <summary>The seed probes' fixed texts.</summary>
public static class SeedProbeTexts
{
    public const string Completion = "湖南的省会城市是";
    public const string ILike = "I like";
    public const string ProvinceQuestion = "湖南的省会是哪里？";

    /// <summary>"What is the capital of X?" for the first held-out country of the split.</summary>
    public static string CountryQuestion(WorldSplit split)
    {
        var country = split.HeldOutFacts.FirstOrDefault(f => f.Category == CapitalCategory.Country) ?? split.HeldOutFacts[0];
        return Phrasings.Fill(Phrasings.Questions[WorldLanguage.En][0], country, WorldLanguage.En);
    }
}

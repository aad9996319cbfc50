using SharpLM.Data.World;
using SharpLM.Evaluation;

namespace SharpLM.Pipeline;

/// <summary>
/// The report card's metric names, as written in report.json (<c>stages.&lt;stage&gt;.&lt;language&gt;.&lt;metric&gt;</c>)
/// and documented in the README. Every one but <see cref="ValBpb"/> is a share with a 95 % interval.
/// </summary>
public static class Metrics
{
    public const string RlFactsNewWording = "rl_facts_new_wording", EvalFactsTrainedWording = "eval_facts_trained_wording",
        EvalFactsHeldOutWording = "eval_facts_heldout_wording", UnknownIdk = "unknown_idk", KnownIdk = "known_idk",
        HarmfulRefused = "harmful_refused", HarmlessRefused = "harmless_refused", Completion = "completion", ValBpb = "val_bpb";

    /// <summary>Figures the report shows besides the schema's: not targets, but they explain them.</summary>
    public const string Hallucination = "hallucination", UnknownHallucination = "unknown_hallucination", InstructionFollowing = "instruction_following";

    /// <summary>The schema's share metrics, in the report's column order.</summary>
    public static readonly IReadOnlyList<string> Shares =
        [RlFactsNewWording, EvalFactsTrainedWording, EvalFactsHeldOutWording, UnknownIdk, KnownIdk, HarmfulRefused, HarmlessRefused, Completion];

    public static readonly IReadOnlyList<string> Extras = [Hallucination, UnknownHallucination, InstructionFollowing];
}

/// <summary>One language's figures for one stage's model: every metric of <see cref="Metrics"/> with its interval, and bits per byte.</summary>
public sealed record LanguageScores(string Language, IReadOnlyDictionary<string, Rate> Rates, double ValBitsPerByte)
{
    public Rate this[string metric] => Rates.TryGetValue(metric, out var r) ? r : Rate.Empty;
}

/// <summary>One next-token candidate of a probe.</summary>
public sealed record TokenProbability(string Token, double Probability);

/// <summary>The seed probes, asked of every stage's model the same way (greedy).</summary>
/// <param name="Completion">Continuation of "湖南的省会城市是" as raw text.</param>
/// <param name="ILike">The five most likely next tokens after "I like".</param>
/// <param name="ProvinceAnswer">Chat answer to "湖南的省会是哪里？".</param>
/// <param name="CountryQuestion">An English question about an evaluation country.</param>
/// <param name="CountryAnswer">Chat answer to <paramref name="CountryQuestion"/>.</param>
public sealed record SeedProbes(string Completion, IReadOnlyList<TokenProbability> ILike, string ProvinceAnswer, string CountryQuestion, string CountryAnswer);

/// <summary>One prompt and the model's greedy answer.</summary>
public sealed record ChatSample(string Prompt, string Answer);

/// <summary>Everything measured of one stage's model.</summary>
/// <param name="ValBitsPerByte">Bits per UTF-8 byte on fresh world text (generated with another seed, never trained on), both languages.</param>
/// <param name="Examples">A few scored answers per evaluation kind, for the report.</param>
public sealed record StageEvaluation(IReadOnlyList<LanguageScores> Languages, double ValBitsPerByte, SeedProbes Probes, IReadOnlyList<ScoredAnswer> Examples);

/// <summary>An evaluation item's prompt, the answer and how it scored.</summary>
public sealed record ScoredAnswer(string Kind, string Language, string Prompt, string? Expected, string Answer, bool Correct, bool Hallucinated,
    bool Refused, bool DontKnow = false);

/// <summary>The seed probes' fixed texts.</summary>
public static class SeedProbeTexts
{
    public const string Completion = "湖南的省会城市是";
    public const string ILike = "I like";
    public const string ProvinceQuestion = "湖南的省会是哪里？";

    /// <summary>"What is the capital of X?" for the first evaluation country of the split.</summary>
    public static string CountryQuestion(WorldSplit split)
    {
        var country = split.EvalFacts.FirstOrDefault(f => f.Category == CapitalCategory.Country) ?? split.EvalFacts[0];
        return Phrasings.Fill(Phrasings.Questions[WorldLanguage.En][0], country, WorldLanguage.En);
    }
}

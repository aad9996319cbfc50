using SharpLM.Core;

namespace SharpLM.Data.World;

/// <summary>
/// How to generate the small world. The same options (seed included) always give byte-identical data.
/// </summary>
/// <param name="Seed">Drives the splits and every random choice.</param>
/// <param name="PretrainChars">Target size of the pretraining text in characters (met or slightly exceeded; one full pass
/// over every fact in every statement phrasing is always included, even if it is larger).</param>
/// <param name="SftConversations">Number of SFT conversations.</param>
/// <param name="PreferencePairs">Number of template preference pairs (the speedrun samples its own, on-policy).</param>
/// <param name="EvalFacts">Capital facts kept for evaluation only (never in SFT or RL), spread over the categories.</param>
/// <param name="RlFacts">Capital facts that only RL and preference prompts ask about; the rest are SFT facts.</param>
/// <param name="HeldOutPhrasingFraction">Share of question phrasings (per language) kept out of SFT, RL and preference data.</param>
/// <param name="HeldOutRequestFraction">Share of harmful actions (per kind) and of harmless tasks kept for evaluation.</param>
/// <param name="RlRequestFraction">Share of harmful actions (per kind) and of harmless tasks that only RL and preference
/// prompts ask about; the rest are SFT's.</param>
/// <param name="SftUnknown">Unknown lands SFT answers "I don't know" about.</param>
/// <param name="RlUnknown">Unknown lands RL and preference prompts ask about; the rest of <see cref="CapitalFact.Unknown"/> are evaluated.</param>
/// <param name="Languages">Languages to generate ("zh", "en"); null means both.</param>
/// <param name="FactPasses">Full passes over every capital fact in every statement phrasing in the pretraining text (at
/// least 1). The first counts towards <see cref="PretrainChars"/>; each further pass is added on top of it, drawn from
/// its own random stream, so the world's other documents stay the ones a one-pass world has and only the facts are
/// stated more often: 5 more statements per fact and language per pass, against ~170 in a default 3,000,000-character
/// world (the first pass plus ~145 in random encyclopedia documents and ~20 in stories).</param>
/// <param name="SftFreshUnknown">Further lands, each named nowhere else in the world (<see cref="CapitalFact.MoreUnknown"/>),
/// that SFT's "I don't know" conversations draw from beside the <see cref="SftUnknown"/> ones. With a dozen lands the model can
/// learn those names; with many, each asked about once or twice, it has to learn what makes a name unknown.</param>
public sealed record WorldOptions(
    int Seed = 1337,
    long PretrainChars = 3_000_000,
    int SftConversations = 6000,
    int PreferencePairs = 3000,
    int EvalFacts = 64,
    int RlFacts = 24,
    double HeldOutPhrasingFraction = 0.3,
    double HeldOutRequestFraction = 0.25,
    double RlRequestFraction = 0.25,
    int SftUnknown = 12,
    int RlUnknown = 28,
    IReadOnlyList<string>? Languages = null,
    int FactPasses = 1,
    int SftFreshUnknown = 0)
{
    public IReadOnlyList<string> LanguageList => Languages ?? WorldLanguage.All;

    public void Validate()
    {
        if (PretrainChars < 0) throw SharpLmException.At(null, null, "--chars", $"must be >= 0, got {PretrainChars}");
        if (SftConversations < 0) throw SharpLmException.At(null, null, "--sft", $"must be >= 0, got {SftConversations}");
        if (FactPasses < 1) throw SharpLmException.At(null, null, "--fact-passes", $"must be 1 or more, got {FactPasses}");
        if (SftFreshUnknown < 0) throw SharpLmException.At(null, null, "--sft-fresh-unknown", $"must be 0 or more, got {SftFreshUnknown}");
        if (PreferencePairs < 0) throw SharpLmException.At(null, null, "--preferences", $"must be >= 0, got {PreferencePairs}");
        foreach (var (name, value) in new[] { ("held-out phrasing fraction", HeldOutPhrasingFraction), ("held-out request fraction", HeldOutRequestFraction),
            ("RL request fraction", RlRequestFraction) })
            if (!(value > 0 && value < 1)) throw SharpLmException.At(null, null, name, $"must be between 0 and 1 (exclusive), got {value}");
        if (HeldOutRequestFraction + RlRequestFraction >= 1)
            throw SharpLmException.At(null, null, "request fractions",
                $"held-out ({HeldOutRequestFraction}) and RL ({RlRequestFraction}) must leave SFT some actions");
        int facts = CapitalFact.All.Count;
        if (EvalFacts < 1 || RlFacts < 1 || EvalFacts + RlFacts > facts - 3)
            throw SharpLmException.At(null, null, "facts", $"evaluation ({EvalFacts}) and RL ({RlFacts}) facts must be positive and leave SFT at least 3 of {facts}");
        if (SftUnknown < 1 || RlUnknown < 1 || SftUnknown + RlUnknown > CapitalFact.Unknown.Count - 1)
            throw SharpLmException.At(null, null, "unknown lands", $"SFT ({SftUnknown}) and RL ({RlUnknown}) must be positive and leave some of {CapitalFact.Unknown.Count} for evaluation");
        if (LanguageList.Count == 0) throw SharpLmException.At(null, null, "languages", "at least one language is needed");
        foreach (var l in LanguageList)
            if (!WorldLanguage.All.Contains(l)) throw SharpLmException.At(null, null, "languages", $"unknown language '{l}' (expected zh or en)");
    }
}

using SharpLM.Core;

namespace SharpLM.Data.World;

/// <summary>
/// How to generate the small world. The same options (seed included) always give byte-identical data.
/// </summary>
/// <param name="Seed">Drives the train/held-out splits and every random choice.</param>
/// <param name="PretrainChars">Target size of the pretraining text in characters (met or slightly exceeded; one full pass
/// over every fact in every statement phrasing is always included, even if it is larger).</param>
/// <param name="SftConversations">Number of SFT conversations.</param>
/// <param name="PreferencePairs">Number of preference pairs.</param>
/// <param name="HeldOutFactFraction">Share of capital facts (per category) that appear only in pretraining text and evaluation.</param>
/// <param name="HeldOutPhrasingFraction">Share of question phrasings (per language) kept out of SFT and preference data.</param>
/// <param name="HeldOutHarmfulFraction">Share of harmful requests (per kind and language) kept for evaluation.</param>
/// <param name="Languages">Languages to generate ("zh", "en"); null means both.</param>
public sealed record WorldOptions(
    int Seed = 1337,
    long PretrainChars = 3_000_000,
    int SftConversations = 6000,
    int PreferencePairs = 3000,
    double HeldOutFactFraction = 0.2,
    double HeldOutPhrasingFraction = 0.3,
    double HeldOutHarmfulFraction = 0.25,
    IReadOnlyList<string>? Languages = null)
{
    public IReadOnlyList<string> LanguageList => Languages ?? WorldLanguage.All;

    public void Validate()
    {
        if (PretrainChars < 0) throw SharpLmException.At(null, null, "--chars", $"must be >= 0, got {PretrainChars}");
        if (SftConversations < 0) throw SharpLmException.At(null, null, "--sft", $"must be >= 0, got {SftConversations}");
        if (PreferencePairs < 0) throw SharpLmException.At(null, null, "--preferences", $"must be >= 0, got {PreferencePairs}");
        foreach (var (name, value) in new[] { ("held-out fact fraction", HeldOutFactFraction),
                     ("held-out phrasing fraction", HeldOutPhrasingFraction), ("held-out harmful fraction", HeldOutHarmfulFraction) })
            if (!(value > 0 && value < 1)) throw SharpLmException.At(null, null, name, $"must be between 0 and 1 (exclusive), got {value}");
        if (LanguageList.Count == 0) throw SharpLmException.At(null, null, "languages", "at least one language is needed");
        foreach (var l in LanguageList)
            if (!WorldLanguage.All.Contains(l)) throw SharpLmException.At(null, null, "languages", $"unknown language '{l}' (expected zh or en)");
    }
}

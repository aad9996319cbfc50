using System.CommandLine;
using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Training;

namespace SharpLM.Cli;

/// <summary>The options <c>generate</c> and <c>chat</c> share, the model loading, and turning them into <see cref="GenerationOptions"/>.</summary>
public sealed class GenerationCliOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "checkpoint folder to load", Required = true };
    public Option<int> MaxTokens { get; } = new("--max-tokens") { Description = "most tokens to generate per answer", DefaultValueFactory = _ => 256 };
    public Option<float> Temperature { get; } = new("--temperature") { Description = "0 = greedy; higher = more random", DefaultValueFactory = _ => 0.8f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "sample only among the K most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "sample only within the nucleus of this probability mass (1 = off)", DefaultValueFactory = _ => 1f };
    public Option<float> MinP { get; } = new("--min-p") { Description = "drop tokens less likely than this fraction of the best one (0 = off)", DefaultValueFactory = _ => 0f };
    public Option<float> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "penalise tokens already in the context (1 = off)", DefaultValueFactory = _ => 1f };
    public Option<float> FrequencyPenalty { get; } = new("--frequency-penalty") { Description = "subtract this per earlier use of a token (0 = off)", DefaultValueFactory = _ => 0f };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "stop when this text appears (repeatable); it is not printed" };
    public Option<bool> ShowProbs { get; } = new("--show-probs") { Description = "print the 5 most likely tokens and their probabilities at every step" };
    public Option<long> Seed { get; } = CommonOptions.Seed();
    public Option<int> Threads { get; } = OneThread(CommonOptions.Threads());
    public Option<string> Device { get; } = CommonOptions.Device();

    public IEnumerable<Option> All =>
        [Model, MaxTokens, Temperature, TopK, TopP, MinP, RepetitionPenalty, FrequencyPenalty, Stop, ShowProbs, Seed, Threads, Device];

    public const int ShownCandidates = 5;

    /// <summary>Decoding a few rows is a chain of small ops: one libtorch thread beat two by far on the shared 2-core machine
    /// (bench/RESULTS.md, Inference).</summary>
    static Option<int> OneThread(Option<int> threads)
    {
        threads.DefaultValueFactory = _ => 1;
        threads.Description = "libtorch threads (0 = all cores; 1 is fastest for decoding a few rows)";
        return threads;
    }

    public GenerationOptions Read(ParseResult parse) => new GenerationOptions(
        MaxNewTokens: parse.GetValue(MaxTokens),
        Sampling: new SamplingOptions(parse.GetValue(Temperature), parse.GetValue(TopK), parse.GetValue(TopP), parse.GetValue(MinP),
                                      parse.GetValue(RepetitionPenalty), parse.GetValue(FrequencyPenalty)),
        StopStrings: parse.GetValue(Stop) ?? [],
        Seed: parse.GetValue(Seed),
        TopCandidates: parse.GetValue(ShowProbs) ? ShownCandidates : 0).Validate();

    /// <summary>The one place the CLI loads a model for inference.</summary>
    public LoadedModel Load(ParseResult parse)
    {
        var device = TorchRuntime.Apply(new TorchSettings(parse.GetValue(Threads), parse.GetValue(Seed), parse.GetValue(Device)!));
        return Checkpoint.Load(parse.GetValue(Model)!, device);
    }
}

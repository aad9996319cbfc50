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
    public Option<int> Threads { get; } = DecodeThreads(CommonOptions.Threads());
    public Option<string> Device { get; } = CommonOptions.Device();

    // auto by default: decoding streams every weight once per token, so for models whose matrices outgrow the caches half
    // the bytes wins (the reference model: batch 1 from 800–1,340 to 1,020–1,330 tokens/s, batch 8 from 2.5–4.1× to
    // 4.1–5.0× batch 1), while small models decode faster in fp32 (bench/RESULTS.md, runs E and F).
    public Option<string> Precision { get; } = new Option<string>("--precision")
    {
        Description = "weights while generating: auto (fp32 for small models; bf16 from 15 MiB of matrices where this CPU " +
                      "runs bf16 natively, measured), fp32 (exact forward pass), bf16, fp16 (fastest for one row of a " +
                      "large model; slow prompts and batches, can overflow)",
        DefaultValueFactory = _ => ComputePrecision.Auto,
    }.AcceptOnlyFromAmong([.. ComputePrecision.GenerationNames]);

    public IEnumerable<Option> All =>
        [Model, MaxTokens, Temperature, TopK, TopP, MinP, RepetitionPenalty, FrequencyPenalty, Stop, ShowProbs, Seed, Threads, Device, Precision];

    public const int ShownCandidates = 5;

    // Decoding one row is memory-bound: on an idle 2-core machine both cores stream the weights faster (about 1,000 vs
    // 700 tokens/s at batch 1, bench/RESULTS.md), but when other jobs hold the cores, threads wait on each other and one
    // thread is far faster. The default is the idle case; the description says when to change it.
    static Option<int> DecodeThreads(Option<int> threads)
    {
        threads.Description = "libtorch threads (0 = all cores; on a busy machine --threads 1 decodes faster)";
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
        return RunFolder.LoadModel(parse.GetValue(Model)!, device);
    }

    public Generator Generator(LoadedModel loaded, ParseResult parse)
    {
        var choice = ComputePrecision.ForGeneration(parse.GetValue(Precision)!, loaded.Config,
            () => MatmulPeak.Measure(parse.GetValue(Threads)));
        return new(loaded.Model, loaded.Tokenizer, choice.Type) { PrecisionReason = choice.Reason };
    }
}

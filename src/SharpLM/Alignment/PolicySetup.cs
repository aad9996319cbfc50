using SharpLM.Alignment.Rewards;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// What PPO and GRPO load before their loop: the policy, a frozen copy of it as the KL reference, its chat template, the
/// prompts and the reward function (a reward model must share the policy's tokenizer).
/// </summary>
public sealed class PolicySetup : IDisposable
{
    PolicySetup(LoadedModel policy, LoadedModel reference, ChatTemplate template, IReadOnlyList<PromptRecord> prompts, IRewardFunction reward, Device device,
        IReadOnlyDictionary<string, (string Kind, string Language)>? kinds)
    {
        _kinds = kinds;
        Loaded = policy;
        Reference = reference.Model;
        _reference = reference;
        Template = template;
        Prompts = prompts;
        Reward = reward;
        Device = device;
    }

    readonly LoadedModel _reference;
    readonly IReadOnlyDictionary<string, (string Kind, string Language)>? _kinds;

    /// <summary>Each prompt's kind (from <see cref="RlOptions.PromptKinds"/> or a world reward), null where unknown.</summary>
    public IReadOnlyList<string?> KindsOf(IReadOnlyList<PromptRecord> prompts) => Lookup(prompts, k => k.Kind);

    /// <summary>Each prompt's kind and language, e.g. "fact:en" (what <see cref="KindBaseline"/> keeps a mean of), null where unknown.</summary>
    public IReadOnlyList<string?> KindLanguagesOf(IReadOnlyList<PromptRecord> prompts) =>
        Lookup(prompts, k => $"{k.Kind}:{k.Language}");

    IReadOnlyList<string?> Lookup(IReadOnlyList<PromptRecord> prompts, Func<(string Kind, string Language), string> text) =>
        [.. prompts.Select(p => _kinds is not null && _kinds.TryGetValue(p.Prompt[^1].Content, out var k) ? text(k) : null)];

    public LoadedModel Loaded { get; }
    public Gpt Policy => Loaded.Model;
    public Tokenizer Tokenizer => Loaded.Tokenizer;
    public Gpt Reference { get; }
    public ChatTemplate Template { get; }
    public IReadOnlyList<PromptRecord> Prompts { get; }
    public IRewardFunction Reward { get; }
    public Device Device { get; }

    /// <summary>The precision the policy and the reference compute in (on resume, the one the checkpoint recorded).</summary>
    public PrecisionChoice Precision { get; private init; } = null!;

    /// <param name="world">The ranks of the job: every rank computes in rank 0's precision.</param>
    public static PolicySetup Load(RlOptions o, Distributed.World? world = null)
    {
        o.Validate();
        var device = TorchRuntime.Apply(new TorchSettings(o.Threads, o.Seed, o.Device));
        var dir = RunFolder.ResolveModel(o.Policy);
        var reward = RewardFunctions.Parse(o.Reward, Tokenizer.Load(dir), dir, device); // before the weights: a mismatch fails fast
        var read = PromptReader.ReadSet(o.Prompts, o.SkipBad);
        var policy = Checkpoint.Load(dir, device);
        var template = ChatTemplate.TryLoad(dir, policy.Tokenizer) ?? new ChatTemplate(policy.Tokenizer);
        var (prompts, fit) = FitPrompts(o, read.Items, template, policy.Config.ContextLength);
        fit = string.Join("; ", new[] { read.Describe(), fit }.OfType<string>());
        var reference = Checkpoint.Load(dir, device);
        foreach (var p in reference.Model.parameters()) p.requires_grad = false;
        manual_seed(o.Seed);
        var latest = o.Resume ? new CheckpointManager(new RunFolder(o.Out), "").Latest() : null;
        var precision = ComputePrecision.Agree(world ?? Distributed.World.Single, ComputePrecision.ForRun(o.Precision,
            latest is null ? null : TrainerState.Load(latest), policy.Config, o.Rollouts * policy.Config.ContextLength, o.Threads));
        policy.Model.ComputeType = reference.Model.ComputeType = precision.Type;
        var items = o.PromptKinds is { } path ? Data.World.WorldExport.ReadItems(path) : (reward as WorldCheckerReward)?.Items;
        var kinds = items?.GroupBy(i => i.Prompt).ToDictionary(g => g.Key, g => (KindGroup(g.First().Kind), g.First().Language));
        return new PolicySetup(policy, reference, template, prompts, reward, device, kinds) { Precision = precision, PromptFitLine = fit };
    }

    /// <summary>One line on the malformed records skipped and how the prompts fitted their limit, e.g. "skipped 14 of 7,473 prompts longer than 192 tokens".</summary>
    public string PromptFitLine { get; private init; } = "";

    /// <summary>The prompts that fit <see cref="RlOptions.MaxPromptTokens"/> (default: the context minus the answer length).</summary>
    static (List<PromptRecord> Prompts, string Line) FitPrompts(RlOptions o, IReadOnlyList<PromptRecord> prompts, ChatTemplate template, int context)
    {
        SharpLmException.Require(o.MaxPromptTokens is not { } max || max < context, "--max-prompt-tokens",
            $"must be below the model's context of {context} tokens (got {o.MaxPromptTokens})");
        int limit = o.MaxPromptTokens ?? context - o.MaxNewTokens;
        SharpLmException.Require(limit > 0, "--max-tokens", $"{o.MaxNewTokens} leaves no room for a prompt in the model's context of {context} tokens");
        var origin = o.MaxPromptTokens is null ? $"the context {context} minus --max-tokens {o.MaxNewTokens}" : "--max-prompt-tokens";
        var (fitted, counts) = PromptFit.Apply(prompts, template, limit, o.OnLong, origin);
        var line = counts.Describe("prompts", limit);
        if (fitted.Count == 0) throw new SharpLmException($"{string.Join(", ", o.Prompts)}: no prompt fits: {line}");
        return (fitted, line);
    }

    /// <summary>The kind a chart shows: facts, unknown lands, harmful and harmless requests.</summary>
    public static string KindGroup(Data.World.EvalKind kind) => kind switch
    {
        Data.World.EvalKind.Harmful => "harmful",
        Data.World.EvalKind.Harmless => "harmless",
        Data.World.EvalKind.Unknown => "unknown",
        _ => "fact",
    };

    /// <summary>The prompts of iteration <paramref name="step"/>: a function of (seed, step), so a resumed run draws the same.</summary>
    public List<PromptRecord> PromptsFor(RlOptions o, long step) =>
        PairTrainer.BatchIndices(Prompts.Count, o.Rollouts, o.Seed, step).Select(i => Prompts[i]).ToList();

    public void Dispose()
    {
        Loaded.Dispose();
        _reference.Dispose();
        (Reward as RewardModelReward)?.Model.Dispose();
    }
}

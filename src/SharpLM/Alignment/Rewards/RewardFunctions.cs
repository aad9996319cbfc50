using SharpLM.Core;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Alignment.Rewards;

/// <summary>Turns the CLI's <c>--reward</c> value into a reward function.</summary>
public static class RewardFunctions
{
    public const string Help = "exact | contains | number | format:REGEX | world:WORLD_DIR (the world's checker) | a reward-model folder";

    /// <summary>
    /// exact, contains, number (against the prompt's reference), format:REGEX, or a reward model folder whose tokenizer must
    /// equal the policy's (<paramref name="policyTokenizer"/> from <paramref name="policyDir"/>).
    /// </summary>
    public static IRewardFunction Parse(string spec, Tokenizer policyTokenizer, string policyDir, Device? device = null)
    {
        switch (spec)
        {
            case "exact": return new ReferenceReward(ReferenceMatch.Exact);
            case "contains": return new ReferenceReward(ReferenceMatch.Contains);
            case "number": return new ReferenceReward(ReferenceMatch.Number);
        }
        if (spec.StartsWith("format:", StringComparison.Ordinal)) return new FormatReward(spec["format:".Length..]);
        if (spec.StartsWith("world:", StringComparison.Ordinal)) return WorldCheckerReward.Load(spec["world:".Length..]);
        if (!Directory.Exists(spec)) throw new SharpLmException($"--reward {spec}: expected {Help}");
        var model = RewardModel.Load(spec, device);
        TokenizerCheck.RequireSame(policyTokenizer, policyDir, model.Tokenizer, spec);
        return new RewardModelReward(model);
    }
}

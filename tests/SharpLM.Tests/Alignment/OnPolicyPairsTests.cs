using SharpLM.Alignment;
using SharpLM.Data.World;
using SharpLM.Evaluation;

namespace SharpLM.Tests.Alignment;

public class OnPolicyPairsTests
{
    static readonly EvalItem Fact = new("q", EvalKind.RlFact, "en", "What is the capital of Hunan?", "Changsha", ["长沙"], ["Wuhan", "Nanjing"], "province:hunan");
    static readonly EvalItem Unknown = new("u", EvalKind.Unknown, "en", "What is the capital of Kalori?", "I don't know. I have never heard of Kalori.", [], ["Changsha", "Wuhan"], "unknown:kalori");

    [Fact]
    public void The_checker_ranks_samples_widest_gap_first_and_each_answer_is_used_once()
    {
        var (pairs, gold) = OnPolicyPairs.Rank(Fact, ["Wuhan", "Changsha", "I don't know.", "Changsha", ""], new OnPolicyPairs.LengthBalance());
        Assert.False(gold);
        Assert.Equal(("Changsha", "Wuhan"), pairs[0]); // the first of the widest gaps (1 vs −1)
        Assert.Single(pairs); // "Changsha" is used; "I don't know." and "Wuhan" score alike (−1)
    }

    [Fact]
    public void When_no_sample_is_good_the_worlds_answer_is_chosen_against_a_sample()
    {
        var (pairs, gold) = OnPolicyPairs.Rank(Unknown, ["Changsha", "Changsha"], new OnPolicyPairs.LengthBalance());
        Assert.True(gold);
        Assert.Equal([(Unknown.Answer!, "Changsha")], pairs);
        Assert.Empty(OnPolicyPairs.Rank(Unknown, ["I don't know any place called Kalori."], new OnPolicyPairs.LengthBalance()).Pairs); // all good: nothing to learn
    }

    [Fact]
    public void Equal_gaps_are_broken_towards_the_length_direction_seen_less()
    {
        var balance = new OnPolicyPairs.LengthBalance { Longer = 3, Shorter = 0 };
        var (pairs, _) = OnPolicyPairs.Rank(Fact, ["Changsha", "Changsha is the answer.", "Wuhan, I am quite sure of it.", "Wuhan"], balance);
        Assert.True(pairs[0].Chosen.Length < pairs[0].Rejected.Length);
        Assert.Equal(2, pairs.Count);
        Assert.Equal((4, 1), (balance.Longer, balance.Shorter));
    }

    [Fact]
    public void Validation_pairs_are_split_by_prompt()
    {
        var pairs = Enumerable.Range(0, 40).SelectMany(i => new[] { new PreferencePair("en", "rl_fact", $"p{i}", "a", "b"), new PreferencePair("en", "rl_fact", $"p{i}", "a", "c") }).ToList();
        var (train, val) = OnPolicyPairs.SplitByPrompt(pairs, 0.25, 7);
        Assert.Equal(20, val.Count);
        Assert.Empty(train.Select(p => p.Prompt).Intersect(val.Select(p => p.Prompt)));
        Assert.Equal(pairs.Count, train.Count + val.Count);
    }
}

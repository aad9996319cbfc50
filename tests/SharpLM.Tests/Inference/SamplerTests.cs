using SharpLM.Core;
using SharpLM.Inference;

namespace SharpLM.Tests.Inference;

public class SamplerTests
{
    // Probabilities at temperature 1: 0.090, 0.245, 0.665.
    static readonly float[] Logits = [1f, 2f, 3f];

    static int[] Draws(SamplingOptions options, int n = 2000, TokenHistory? history = null)
    {
        var sampler = new Sampler(options, new Random(1));
        var counts = new int[Logits.Length];
        for (int i = 0; i < n; i++) counts[sampler.Next(Logits, history)]++;
        return counts;
    }

    [Fact]
    public void Greedy_takes_the_argmax()
    {
        Assert.Equal([0, 0, 10], Draws(SamplingOptions.Greedy, 10));
    }

    [Fact]
    public void Temperature_sampling_follows_the_softmax()
    {
        var counts = Draws(new SamplingOptions(Temperature: 1f), 20000);
        Assert.InRange(counts[0] / 20000.0, 0.08, 0.10);
        Assert.InRange(counts[2] / 20000.0, 0.65, 0.68);
    }

    [Fact]
    public void Top_k_top_p_and_min_p_drop_the_unlikely_tokens()
    {
        Assert.Equal(0, Draws(new SamplingOptions(Temperature: 5f, TopK: 2))[0]);
        Assert.Equal([0, 0, 2000], Draws(new SamplingOptions(TopP: 0.6f)));
        var minP = Draws(new SamplingOptions(MinP: 0.3f)); // keeps p ≥ 0.3·0.665: tokens 1 and 2
        Assert.Equal(0, minP[0]);
        Assert.True(minP[1] > 0);
    }

    [Fact]
    public void Repetition_and_frequency_penalties_lower_seen_tokens()
    {
        var history = new TokenHistory([2]);
        Assert.Equal([0, 10, 0], Draws(SamplingOptions.Greedy with { RepetitionPenalty = 2f }, 10, history)); // 3/2 < 2
        history = new TokenHistory([]);
        history.Add(2);
        Assert.Equal([0, 10, 0], Draws(SamplingOptions.Greedy with { FrequencyPenalty = 1.5f }, 10, history)); // 3 − 1.5 < 2
        Assert.Equal([0, 10, 0], Draws(SamplingOptions.Greedy with { PresencePenalty = 1.5f }, 10, history));  // 3 − 1.5 < 2
        history.Add(2);
        Assert.Equal([0, 0, 10], Draws(SamplingOptions.Greedy with { PresencePenalty = 0.5f }, 10, history));  // once: 3 − 0.5 > 2
    }

    [Fact]
    public void Top_candidates_are_the_most_likely_tokens_with_their_probabilities()
    {
        var top = Sampler.TopCandidates(Logits, 2, Sampler.LogSumExp(Logits));
        Assert.Equal([2, 1], top.Select(c => c.Id));
        Assert.Equal(0.6652f, top[0].Probability, 3);
        Assert.Equal(0.2447f, top[1].Probability, 3);
    }

    [Fact]
    public void Out_of_range_options_are_clear_errors()
    {
        Assert.Contains("--top-p", Assert.Throws<SharpLmException>(() => new SamplingOptions(TopP: 0f).Validate()).Message);
        Assert.Contains("--temperature", Assert.Throws<SharpLmException>(() => new SamplingOptions(Temperature: -1f).Validate()).Message);
    }
}

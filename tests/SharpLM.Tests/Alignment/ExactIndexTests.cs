using SharpLM.Alignment;
using static TorchSharp.torch;

namespace SharpLM.Tests.Alignment;

/// <summary>
/// RL bookkeeping checked position by position: which positions are answer tokens, where the score lands, what sign the
/// KL penalty has, and that log-probabilities use the sampling temperature. Each test fails if one index, sign or factor
/// is wrong.
/// </summary>
public class ExactIndexTests
{
    [Fact]
    public void The_mask_marks_exactly_the_positions_that_predict_answer_tokens()
    {
        using var batch = SequenceBatch.Build([new PromptResponse([5, 6, 7], [8, 9]), new PromptResponse([5], [8])], CPU);
        Assert.Equal([5L, 6, 7, 8, 9, 5, 8, 0, 0, 0], batch.Ids.data<long>().ToArray());
        // Position t predicts token t+1: row 0's answer tokens 8, 9 sit at 3, 4, so positions 2, 3; row 1's at 1, so position 0.
        Assert.Equal([0f, 0, 1, 1, 1, 0, 0, 0], batch.Mask.data<float>().ToArray());
        Assert.Equal([4L, 1], batch.LastIndex);
        Assert.Equal([3, 1], batch.PromptLengths);
    }

    [Fact]
    public void The_score_lands_on_the_last_answer_token_and_never_on_padding()
    {
        // Two rows of width 6: row 0's answer at positions 2..4, row 1's at 1..2; γ = λ = 1, values 0, β = 0.
        var (_, returns) = PpoAdvantages.Compute(new float[12], new float[12], 6, [2, 1], [3, 2], [1f, -2f], beta: 0, gamma: 1, lambda: 1);
        Assert.Equal([0f, 0, 1, 1, 1, 0, 0, -2, -2, 0, 0, 0], returns);
        var (_, rewardOnly) = PpoAdvantages.Compute(new float[12], new float[12], 6, [2, 1], [3, 2], [1f, -2f], beta: 0, gamma: 0, lambda: 0);
        Assert.Equal([0f, 0, 0, 0, 1, 0, 0, 0, -2, 0, 0, 0], rewardOnly); // γ = 0: each return is that token's own reward
    }

    [Fact]
    public void The_kl_penalty_lowers_the_reward_of_tokens_more_likely_under_the_policy_than_the_reference()
    {
        var kl = new float[6];
        (kl[1], kl[2], kl[3]) = (0.5f, 0.25f, 1.0f); // log π − log π_ref at the three answer positions of one row
        var (_, returns) = PpoAdvantages.Compute(kl, new float[6], 6, [1], [3], [2f], beta: 0.1, gamma: 1, lambda: 1);
        // Rewards −0.05, −0.025, −0.1 + 2; returns are their suffix sums.
        Assert.Equal([0f, 1.825f, 1.875f, 1.9f, 0, 0], returns.Select(r => MathF.Round(r, 5)).ToArray());
        Assert.Equal(0.5f, PpoLosses.KlK1(tensor(new[] { -1.0f }), tensor(new[] { -1.5f })).item<float>(), 6);
        Assert.Equal(MathF.Exp(0.5f) - 0.5f - 1, PpoLosses.KlK3(tensor(new[] { -1.5f }), tensor(new[] { -1.0f })).item<float>(), 5);
    }

    [Fact]
    public void Advantages_are_whitened_over_answer_tokens_only()
    {
        var (advantages, _) = PpoAdvantages.Compute(new float[12], new float[12], 6, [2, 1], [3, 2], [1f, -2f], beta: 0, gamma: 1, lambda: 1);
        var answer = new[] { 2, 3, 4, 7, 8 }.Select(i => (double)advantages[i]).ToArray();
        Assert.Equal(0, answer.Average(), 5);
        Assert.Equal(1, Math.Sqrt(answer.Select(a => a * a).Average()), 4);
        Assert.All(new[] { 0, 1, 5, 6, 9, 10, 11 }, i => Assert.Equal(0f, advantages[i]));
    }

    [Fact]
    public void Log_probabilities_are_taken_at_the_sampling_temperature_at_the_next_token()
    {
        using var batch = SequenceBatch.Build([new PromptResponse([1, 2], [3, 0])], CPU);
        manual_seed(3);
        var logits = randn(1, 4, 5);                                                         // (B, T, V)
        var logp = batch.TokenLogProbs(logits, temperature: 2.0).data<float>().ToArray();    // (1, 3)
        var (entropyLogp, entropy) = batch.TokenLogProbsAndEntropy(logits, temperature: 2.0);
        int[] next = [2, 3, 0];
        for (int t = 0; t < 3; t++)
        {
            var row = (logits[0, t] / 2.0).log_softmax(0);
            Assert.Equal(row[next[t]].item<float>(), logp[t], 5);
            Assert.Equal(-(row.exp() * row).sum().item<float>(), entropy[0, t].item<float>(), 5);
        }
        Assert.Equal(logp, entropyLogp.data<float>().ToArray());
        Assert.NotEqual(logp[0], batch.TokenLogProbs(logits).data<float>()[0], 3); // temperature 1 is another distribution
    }

    [Fact]
    public void An_answer_cut_at_the_token_limit_is_not_ended()
    {
        Assert.Equal([true, false, false], SequenceBatch.Ended([new PromptResponse([1], [4, 9]), new PromptResponse([1], [4, 4]), new PromptResponse([1], [])], 9));
    }

    [Fact]
    public void Reward_normalisation_centres_and_scales_by_the_running_figures()
    {
        var n = new RewardNormalizer();
        var first = n.Normalize([1f, 3f]);
        Assert.Equal(2, n.Mean, 6);
        Assert.Equal(Math.Sqrt(2), n.Std, 6);
        Assert.Equal([(float)(-1 / Math.Sqrt(2)), (float)(1 / Math.Sqrt(2))], first);
        var second = n.Normalize([2f]);
        Assert.Equal(0f, second[0], 6);
    }
}

using SharpLM.Core;
using SharpLM.Inference;

namespace SharpLM.Tests.Inference;

public class DecodeBatchTests
{
    /// <summary>
    /// Rows that join at different times and leave in the middle must each see exactly what a plain forward pass over their
    /// own tokens computes: their own positions (RoPE), their own keys only, nothing of rows that left (the cache's rows are
    /// reused in place, so a joining row lands on buffers an earlier row wrote).
    /// </summary>
    [Fact]
    public void Rows_joining_and_leaving_at_different_times_match_the_full_forward_pass_of_each_row()
    {
        var lm = TinyLm.Create(contextLength: 32);
        int V = lm.Tokenizer.VocabSize;
        var rng = new Random(3);
        string[] prompts = ["the", "a quiet ma", "hello there", "x"];
        var sequences = new List<List<int>>();
        var active = new List<int>(); // batch row → sequence index
        using var fused = lm.Model.FuseForInference();
        using var batch = new DecodeBatch(lm.Model, rows: 3);

        void Check(int seq, ReadOnlySpan<float> logits)
        {
            var expected = lm.FullLogProbs(sequences[seq])[^1];
            float lse = Sampler.LogSumExp(logits);
            for (int v = 0; v < V; v++)
                Assert.True(Math.Abs(logits[v] - lse - expected[v]) < 1e-4, $"sequence {seq} at {sequences[seq].Count}, id {v}");
        }

        void Join(int p)
        {
            sequences.Add([.. lm.Tokenizer.Encode(prompts[p])]);
            active.Add(sequences.Count - 1);
            var logits = batch.Join([.. sequences[^1]]);
            Check(sequences.Count - 1, logits);
            Assert.Equal(sequences[^1].Count, batch.Length(active.Count - 1));
        }

        void Step()
        {
            var tokens = active.Select(_ => rng.Next(V)).ToArray();
            for (int b = 0; b < active.Count; b++) sequences[active[b]].Add(tokens[b]);
            var logits = batch.Step(tokens);
            for (int b = 0; b < active.Count; b++) Check(active[b], logits.AsSpan(b * V, V));
        }

        Join(0);
        Step(); Step();
        Join(1);
        Step();
        Join(2);
        Step(); Step();
        batch.Leave([1]);
        active.RemoveAt(1);
        Step();
        Join(3);
        Step(); Step();
        Assert.Equal(3, batch.Count);
        Assert.Throws<SharpLmException>(() => batch.Join(lm.Tokenizer.Encode("one too many"))); // rows: 3, all in use
        batch.Leave([0, 1, 2]);
        active.Clear();
        Assert.Equal(0, batch.Count);
        Join(0);
        Step();
    }

    [Fact]
    public void A_row_at_the_context_limit_cannot_step_and_a_too_long_prompt_is_refused()
    {
        var lm = TinyLm.Create(contextLength: 8);
        using var fused = lm.Model.FuseForInference();
        using var batch = new DecodeBatch(lm.Model, rows: 1);
        Assert.Throws<SharpLmException>(() => batch.Join(lm.Tokenizer.Encode("nine char")));
        batch.Join(lm.Tokenizer.Encode("seven c"));
        Assert.False(batch.Full(0));
        batch.Step([1]);
        Assert.True(batch.Full(0));
        Assert.Throws<SharpLmException>(() => batch.Step([1]));
    }
}

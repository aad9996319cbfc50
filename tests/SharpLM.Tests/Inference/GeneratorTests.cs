using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Training;

namespace SharpLM.Tests.Inference;

public class GeneratorTests
{
    static GenerationOptions AllProbabilities(int vocab, int maxTokens = 8, SamplingOptions? sampling = null) =>
        new(MaxNewTokens: maxTokens, Sampling: sampling ?? SamplingOptions.Greedy, LogProbs: true, TopCandidates: vocab);

    /// <summary>Every reported distribution must equal the full forward pass of prompt + generated tokens, within 1e-4.</summary>
    static void AssertMatchesFullForward(TinyLm lm, int[] prompt, Generation g)
    {
        var full = lm.FullLogProbs([.. prompt, .. g.Tokens]);
        for (int i = 0; i < g.Tokens.Length; i++)
        {
            var expected = full[prompt.Length - 1 + i];
            foreach (var c in g.Candidates![i])
                Assert.True(Math.Abs(MathF.Log(c.Probability) - expected[c.Id]) < 1e-4,
                    $"token {i}, id {c.Id}: {MathF.Log(c.Probability)} vs {expected[c.Id]}");
            Assert.Equal(expected[g.Tokens[i]], g.LogProbs![i], 1e-4);
        }
    }

    static TinyLm Lm(int contextLength = 32) => TinyLm.Create(contextLength);

    [Fact]
    public void Batched_left_padded_generation_reports_the_full_forward_distribution_and_the_same_greedy_tokens()
    {
        var lm = Lm();
        int[][] prompts = [lm.Tokenizer.Encode("the"), lm.Tokenizer.Encode("a quiet ma"), lm.Tokenizer.Encode("hello")];
        var options = AllProbabilities(lm.Tokenizer.VocabSize);
        var batch = lm.Generator.Generate(prompts, options);
        for (int r = 0; r < prompts.Length; r++)
        {
            AssertMatchesFullForward(lm, prompts[r], batch[r]);
            var alone = lm.Generator.Generate([prompts[r]], options)[0];
            Assert.Equal(alone.Tokens, batch[r].Tokens);
            // Greedy means the argmax of the full forward pass at every position.
            var full = lm.FullLogProbs([.. prompts[r], .. batch[r].Tokens]);
            for (int i = 0; i < batch[r].Tokens.Length; i++)
                Assert.Equal(Sampler.ArgMax(full[prompts[r].Length - 1 + i]), batch[r].Tokens[i]);
            Assert.Equal(StopReason.MaxTokens, batch[r].StopReason);
            Assert.Equal(8, batch[r].Tokens.Length);
        }
    }

    [Fact]
    public void Bf16_generation_caches_in_bf16_and_stays_close_to_the_bf16_full_forward_pass()
    {
        var lm = Lm();
        lm.Model.ComputeType = TorchSharp.torch.ScalarType.BFloat16;
        var prompt = lm.Tokenizer.Encode("the half path");
        var g = lm.Generator.Generate([prompt], AllProbabilities(lm.Tokenizer.VocabSize))[0];
        var full = lm.FullLogProbs([.. prompt, .. g.Tokens]);
        for (int i = 0; i < g.Tokens.Length; i++)
            Assert.True(Math.Abs(full[prompt.Length - 1 + i][g.Tokens[i]] - g.LogProbs![i]) < 0.05,
                $"token {i}: {g.LogProbs![i]} vs {full[prompt.Length - 1 + i][g.Tokens[i]]}");
    }

    [Fact]
    public void Samples_of_one_prompt_share_its_prefill_and_still_match_the_full_forward_pass()
    {
        var lm = Lm();
        var prompt = lm.Tokenizer.Encode("once upon");
        var samples = lm.Generator.Sample(prompt, 3, AllProbabilities(lm.Tokenizer.VocabSize, sampling: new SamplingOptions(Temperature: 1.5f)));
        Assert.Equal(3, samples.Count);
        foreach (var s in samples) AssertMatchesFullForward(lm, prompt, s);
        Assert.True(samples.Select(s => string.Join(",", s.Tokens)).Distinct().Count() > 1, "three samples were all identical");
    }

    [Fact]
    public void The_same_seed_gives_the_same_samples_and_another_seed_others()
    {
        var lm = Lm();
        var prompt = lm.Tokenizer.Encode("to be");
        GenerationOptions Options(long seed) => new(MaxNewTokens: 12, Sampling: new SamplingOptions(Temperature: 1.2f, TopK: 10, TopP: 0.9f), Seed: seed);
        var a = lm.Generator.Sample(prompt, 4, Options(7)).Select(g => g.Text).ToList();
        var b = lm.Generator.Sample(prompt, 4, Options(7)).Select(g => g.Text).ToList();
        var c = lm.Generator.Sample(prompt, 4, Options(8)).Select(g => g.Text).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void A_stop_string_spanning_tokens_ends_the_row_and_is_not_in_the_text()
    {
        var lm = Lm();
        var prompt = lm.Tokenizer.Encode("the end");
        var free = lm.Generator.Generate([prompt], new GenerationOptions(MaxNewTokens: 16, Sampling: SamplingOptions.Greedy))[0];
        var stop = free.Text.Substring(5, 3); // three characters: three tokens
        int at = free.Text.IndexOf(stop, StringComparison.Ordinal);
        var stopped = lm.Generator.Generate([prompt, prompt], new GenerationOptions(
            MaxNewTokens: 16, Sampling: SamplingOptions.Greedy, StopStrings: [stop]))[1];
        Assert.Equal(StopReason.StopString, stopped.StopReason);
        Assert.Equal(free.Text[..at], stopped.Text);
        Assert.Equal(free.Tokens[..stopped.Tokens.Length], stopped.Tokens); // up to the token that completed the stop
        Assert.Contains(stop, lm.Tokenizer.Decode(stopped.Tokens));
        Assert.DoesNotContain(stop, lm.Tokenizer.Decode(stopped.Tokens[..^1]));
    }

    [Fact]
    public void A_stop_token_ends_its_row_only_and_is_kept_as_the_last_id_but_not_in_the_text()
    {
        var lm = Lm();
        int[][] prompts = [lm.Tokenizer.Encode("the end"), lm.Tokenizer.Encode("zzz")];
        var free = lm.Generator.Generate(prompts, new GenerationOptions(MaxNewTokens: 10, Sampling: SamplingOptions.Greedy));
        int stopId = free[0].Tokens[4];
        int first = Array.IndexOf(free[0].Tokens, stopId);
        var stopped = lm.Generator.Generate(prompts, new GenerationOptions(MaxNewTokens: 10, Sampling: SamplingOptions.Greedy, StopTokenIds: [stopId]));
        Assert.Equal(StopReason.StopToken, stopped[0].StopReason);
        Assert.Equal(free[0].Tokens[..(first + 1)], stopped[0].Tokens);
        Assert.Equal(lm.Tokenizer.Decode(free[0].Tokens[..first]), stopped[0].Text);
        if (!free[1].Tokens.Contains(stopId)) Assert.Equal(free[1].Tokens, stopped[1].Tokens); // the other row runs on
    }

    [Fact]
    public void A_full_context_stops_with_a_reason_or_slides_when_asked()
    {
        var lm = Lm(contextLength: 32);
        var prompt = lm.Tokenizer.Encode("abcdefghijklmnopqrstuvwxyz abcd"); // 31 tokens
        var stopped = lm.Generator.Generate([prompt], new GenerationOptions(MaxNewTokens: 10, Sampling: SamplingOptions.Greedy))[0];
        Assert.Equal(StopReason.ContextFull, stopped.StopReason);
        Assert.Equal(2, stopped.Tokens.Length); // one from the prompt's logits, one after filling position 32
        var slid = lm.Generator.Generate([prompt], new GenerationOptions(MaxNewTokens: 10, Sampling: SamplingOptions.Greedy, Overflow: ContextOverflow.Slide))[0];
        Assert.Equal(StopReason.MaxTokens, slid.StopReason);
        Assert.Equal(10, slid.Tokens.Length);
        Assert.Equal(stopped.Tokens, slid.Tokens[..2]);
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_a_clear_error()
    {
        var lm = Lm(contextLength: 16);
        var e = Assert.Throws<SharpLmException>(() => lm.Generator.Generate([new int[20]], new GenerationOptions()));
        Assert.Contains("context length 16", e.Message);
    }

    [Fact]
    public async Task Streamed_pieces_add_up_to_the_batch_text_and_end_with_the_stop_reason()
    {
        var lm = Lm();
        var prompt = lm.Tokenizer.Encode("what");
        var options = new GenerationOptions(MaxNewTokens: 12, Sampling: new SamplingOptions(Temperature: 0.8f), Seed: 3);
        var pieces = new List<StreamPiece>();
        await foreach (var p in lm.Generator.Stream(prompt, options)) pieces.Add(p);
        Assert.Equal(lm.Generator.Generate([prompt], options)[0].Text, string.Concat(pieces.Select(p => p.Text)));
        Assert.Equal(12, pieces.Count);
        Assert.Equal(StopReason.MaxTokens, pieces[^1].Stop);
        Assert.All(pieces[..^1], p => Assert.Null(p.Stop));
    }

    [Fact]
    public void Cancellation_stops_every_row_with_a_reason()
    {
        var lm = Lm();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var result = lm.Generator.Generate([lm.Tokenizer.Encode("a"), lm.Tokenizer.Encode("bc")], new GenerationOptions(), cts.Token);
        Assert.All(result, g => Assert.Equal(StopReason.Cancelled, g.StopReason));
        Assert.All(result, g => Assert.Empty(g.Tokens));
    }

    [Theory]
    [InlineData("fp16", 0.01)]
    [InlineData("bf16", 0.1)]
    public void Half_precision_weights_stay_close_to_the_fp32_forward_pass_and_leave_the_model_untouched(string name, double tolerance)
    {
        var lm = Lm();
        var prompt = lm.Tokenizer.Encode("the half path");
        var before = lm.FullLogProbs(prompt);
        var generator = new Generator(lm.Model, lm.Tokenizer, ComputePrecision.TypeOf(name));
        var batch = generator.Generate([prompt, lm.Tokenizer.Encode("hi")], AllProbabilities(lm.Tokenizer.VocabSize, maxTokens: 12));
        double worst = 0;
        foreach (var (g, p) in batch.Zip([prompt, lm.Tokenizer.Encode("hi")]))
        {
            var full = lm.FullLogProbs([.. p, .. g.Tokens]);
            for (int i = 0; i < g.Tokens.Length; i++)
                foreach (var c in g.Candidates![i])
                    worst = Math.Max(worst, Math.Abs(MathF.Log(c.Probability) - full[p.Length - 1 + i][c.Id]));
        }
        Assert.True(worst < tolerance, $"{name}: worst |Δ log p| {worst}");
        Assert.True(worst > 1e-6, $"{name}: identical to fp32, so the half-precision copies were not used");
        Assert.Equal(before, lm.FullLogProbs(prompt)); // parameters, norms and head are back to the trained fp32 ones
    }

    [Fact]
    public void Fp16_overflow_is_a_clear_error_where_fp32_generates()
    {
        var lm = Lm();
        using (TorchSharp.torch.no_grad())
            lm.Model.named_parameters().Single(p => p.name == "model.layers.0.mlp.up_proj.weight").parameter.mul_(1000);
        var prompt = lm.Tokenizer.Encode("loud");
        Assert.Equal(4, lm.Generator.Generate([prompt], new GenerationOptions(MaxNewTokens: 4))[0].Tokens.Length);
        var error = Assert.Throws<SharpLmException>(() =>
            new Generator(lm.Model, lm.Tokenizer, TorchSharp.torch.ScalarType.Float16).Generate([prompt], new GenerationOptions(MaxNewTokens: 4)));
        Assert.Contains("overflow fp16", error.Message);
    }

    [Fact]
    public void Fusing_twice_in_different_precisions_and_unknown_precision_names_are_refused()
    {
        var lm = Lm();
        using var fused = lm.Model.FuseForInference(TorchSharp.torch.ScalarType.BFloat16);
        using (lm.Model.FuseForInference(TorchSharp.torch.ScalarType.BFloat16)) { }
        Assert.Contains("already fused", Assert.Throws<SharpLmException>(() => lm.Model.FuseForInference()).Message);
        Assert.Contains("auto, fp32, bf16, fp16", Assert.Throws<SharpLmException>(() =>
            ComputePrecision.ForGeneration("int4", lm.Model.Config, () => throw new InvalidOperationException())).Message);
    }

    static readonly MatmulPeakResult NativeBf16 = new(2, 1024, Fp32Gflops: 100, Bf16Gflops: 400);
    static readonly MatmulPeakResult EmulatedBf16 = new(2, 1024, Fp32Gflops: 80, Bf16Gflops: 0.9);

    [Fact]
    public void Auto_precision_keeps_fp32_up_to_the_measured_crossover_and_halves_larger_models()
    {
        var reference = new GptConfig(VocabSize: 4096, ContextLength: 256, Depth: 4, Width: 256, Heads: 4, KvHeads: 4);
        var speedrun = new GptConfig(VocabSize: 2048, ContextLength: 128, Depth: 4, Width: 192, Heads: 3, KvHeads: 3);
        var large = new GptConfig(VocabSize: 32000, ContextLength: 1024, Depth: 12, Width: 1024, Heads: 16, KvHeads: 16);
        string Auto(GptConfig c, MatmulPeakResult peak) => ComputePrecision.ForGeneration("auto", c, () => peak).Name;
        Assert.Equal("fp32", Auto(reference, NativeBf16)); // 16.0 MiB of matrices: the fused fp32 step is faster
        Assert.Equal("fp32", Auto(speedrun, NativeBf16));  // 8.3 MiB
        Assert.Equal("bf16", Auto(large, NativeBf16));     // ~700 MiB
        // A tied head is the embedding, streamed by every token: it counts, so tying does not make a model "smaller".
        Assert.Equal("bf16", Auto(large with { TieEmbeddings = true }, NativeBf16));
        Assert.Equal("fp16", ComputePrecision.ForGeneration("fp16", speedrun, () => EmulatedBf16).Name);
    }

    [Fact]
    public void Auto_precision_keeps_fp32_where_bf16_is_emulated_whatever_the_model_size()
    {
        var large = new GptConfig(VocabSize: 32000, ContextLength: 1024, Depth: 12, Width: 1024, Heads: 16, KvHeads: 16);
        var choice = ComputePrecision.ForGeneration("auto", large, () => EmulatedBf16);
        Assert.Equal("fp32", choice.Name);
        Assert.Contains("bf16 measured 0.9 GFLOP/s vs fp32 80", choice.Reason);
        // A small model never pays for a measurement.
        var small = new GptConfig(VocabSize: 300, ContextLength: 64, Depth: 1, Width: 32, Heads: 1, KvHeads: 1);
        Assert.Equal("fp32", ComputePrecision.ForGeneration("auto", small, () => throw new InvalidOperationException()).Name);
    }
}

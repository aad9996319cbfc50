using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Tests.Inspection;

public class InspectorTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    public void Explicit_attention_path_equals_the_sdpa_path(int kvHeads)
    {
        using var inspector = TinyModels.Inspector(seed: 11, kvHeads: kvHeads);
        var model = inspector.Model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var idx = randint(0, model.Config.VocabSize, [2, 40]);
        var fast = model.forward(idx);                                              // (2, 40, V) through SDPA
        foreach (var block in model.Blocks) block.Attention.CaptureWeights = true;
        var explicitPath = model.forward(idx);                                      // softmax(QKᵀ/√d) V
        foreach (var block in model.Blocks) block.Attention.CaptureWeights = false;
        float difference = (fast - explicitPath).abs().max().item<float>();
        Assert.True(difference < 1e-5f, $"max difference {difference}");
    }

    [Fact]
    public void Attention_rows_sum_to_one_and_are_causal()
    {
        using var inspector = TinyModels.Inspector(seed: 12);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = inspector.Tokenizer.Encode("the cat sat on the mat because it was tired.");
        var layers = inspector.CaptureAttention(ids);
        Assert.Equal(inspector.Model.Config.Depth, layers.Length);
        foreach (var w in layers)                                                   // (H, T, T)
        {
            Assert.Equal([4L, ids.Length, ids.Length], w.shape);
            Assert.True((w.sum(-1) - 1).abs().max().item<float>() < 1e-5f);
            Assert.Equal(0f, w.triu(1).abs().max().item<float>());                  // nothing above the diagonal
            Assert.True(w.diagonal(0, 1, 2).min().item<float>() > 0);               // every token sees itself
        }
        Assert.All(inspector.Model.Blocks, b => Assert.False(b.Attention.CaptureWeights)); // back on the fast path
    }

    [Fact]
    public void Contextual_vectors_of_one_token_differ_while_its_static_embedding_is_the_same()
    {
        using var inspector = TinyModels.Inspector(seed: 13);
        var report = inspector.Context("苹果", ["我爱吃苹果。", "苹果公司发布了新手机。"]);
        Assert.Equal(report.Sentences[0].TokenId, report.Sentences[1].TokenId);     // the same token "果"
        Assert.Equal("果", report.Sentences[0].Token);
        Assert.Equal([5, 2], report.Sentences.Select(s => s.Position));               // after BOS
        var (first, second) = (report.Sentences[0].VectorByLayer, report.Sentences[1].VectorByLayer);
        Assert.Equal(first[0], second[0]);                                          // the static embedding, bit for bit…
        Assert.Equal(inspector.Model.Embedding.weight![report.Sentences[0].TokenId].data<float>().ToArray(), first[0]);
        Assert.All(Enumerable.Range(1, 2), layer => Assert.NotEqual(first[layer], second[layer])); // …then context moves it
        var cosine = report.Pairs.Single().CosineByLayer;
        Assert.Equal(3, cosine.Length);                                             // embedding, block 1, block 2
        Assert.Equal(1.0, cosine[0], 6);                                            // static embedding: identical
        Assert.All(cosine.Skip(1), c => Assert.True(c < 0.999, $"cosine {c} at a block: contexts did not separate"));
    }

    [Fact]
    public void Logit_lens_at_the_last_layer_is_the_models_own_prediction()
    {
        using var inspector = TinyModels.Inspector(seed: 14);
        const string text = "the cat sat on the";
        var report = inspector.Lens(text);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = TinyModels.WithBos(inspector, text);                          // (1, T)
        var probs = inspector.Model.forward(ids)[0, -1].softmax(-1);               // (V)
        int predicted = (int)probs.argmax().item<long>();
        Assert.Equal(inspector.Model.Config.Depth + 1, report.Layers.Length);
        Assert.Equal(predicted, report.FinalId);
        Assert.Equal(predicted, report.Layers[^1].Top[0].Id);
        Assert.Equal(probs[predicted].item<float>(), report.Layers[^1].Top[0].Score, 6);
        Assert.Equal(probs[predicted].item<float>(), report.Layers[^1].FinalTokenProbability, 6);
    }

    [Fact]
    public void Next_token_probabilities_match_softmax_of_logits_over_temperature()
    {
        using var inspector = TinyModels.Inspector(seed: 15);
        const string text = "我爱吃苹";
        var report = inspector.Next(text, top: inspector.Tokenizer.VocabSize, temperature: 0.7, topK: 3, topP: 0.5);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = TinyModels.WithBos(inspector, text);                          // (1, T)
        var logits = inspector.Model.forward(ids)[0, -1].to_type(ScalarType.Float64);  // (V)
        var tempered = (logits / 0.7).softmax(-1);
        var plain = logits.softmax(-1);
        foreach (var row in report.Rows)
        {
            Assert.Equal(tempered[row.Id].item<double>(), row.Tempered, 9);
            Assert.Equal(plain[row.Id].item<double>(), row.Probability, 9);
        }
        Assert.True(report.Rows.Sum(r => r.Probability) <= 1 + 1e-9);
        Assert.True(report.Rows.Sum(r => r.Tempered) <= 1 + 1e-9);
        Assert.Equal(report.Rows.OrderByDescending(r => r.Tempered).Select(r => r.Id), report.Rows.Select(r => r.Id));
        Assert.Equal(1.0, report.Rows.Take(3).Sum(r => r.TopK), 9);                // renormalised over the K kept
        Assert.All(report.Rows.Skip(3), r => Assert.Equal(0, r.TopK));
        Assert.Equal(1.0, report.Rows.Take(report.TopPKept).Sum(r => r.TopP), 9);
        Assert.True(report.Rows.Take(report.TopPKept).Sum(r => r.Tempered) >= 0.5);        // the nucleus reaches P…
        Assert.True(report.Rows.Take(report.TopPKept - 1).Sum(r => r.Tempered) < 0.5);     // …and is the smallest that does
    }

    [Fact]
    public void Token_surprisal_averages_to_the_models_cross_entropy()
    {
        using var inspector = TinyModels.Inspector(seed: 16);
        const string text = "the cat sat on the mat.";
        var report = inspector.Tokens(text);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = TinyModels.WithBos(inspector, text);                          // (1, T)
        double nats = inspector.Model.Loss(ids[.., ..^1], ids[.., 1..]).item<float>();
        Assert.Equal(nats / Math.Log(2), report.MeanSurprisalPerToken, 4);
        Assert.Equal(text.Length, report.Rows.Length);
        Assert.All(report.Rows, r => Assert.Equal(Math.Pow(2, -r.Surprisal!.Value), r.Probability!.Value, 12));
    }

    [Fact]
    public void A_character_split_over_byte_tokens_is_one_row_listing_all_its_ids()
    {
        var bpe = BpeTrainer.Train(["aaabdaaabac"], new BpeTrainingOptions(BpeTrainer.MinVocabSize + 4));
        using var inspector = TinyModels.Inspector(seed: 17, tokenizer: bpe);
        var report = inspector.Tokens("湖南aaab");
        Assert.Equal(["湖", "南", "aaab"], report.Rows.Select(r => r.Text));
        Assert.Equal(3, report.Rows[0].Ids.Length);
        Assert.Equal((3, 6), (report.Rows[1].ByteStart, report.Rows[1].ByteEnd));
        Assert.Equal(7, report.Tokens);                                          // 3 + 3 byte tokens, then "aaab"
        var attention = inspector.Attention("湖南", layer: 0);
        Assert.Equal(["<|bos|>", "湖·1/3", "湖·2/3", "湖·3/3", "南·1/3", "南·2/3", "南·3/3"], attention.Tokens);
    }

    [Fact]
    public void Focus_word_selects_the_token_whose_attention_is_listed()
    {
        using var inspector = TinyModels.Inspector(seed: 18);
        var report = inspector.Attention("the cat sat because it was tired.", layer: 1, focus: "it", top: 2);
        Assert.Equal("t", report.Tokens[report.FocusPosition]);                    // last byte of "it", after BOS
        Assert.Equal(1 + "the cat sat because it".Length - 1, report.FocusPosition);
        Assert.Equal(4, report.Focus.Length);                                       // one row per head of layer 1
        Assert.All(report.Focus, f => Assert.All(f.Top, a => Assert.InRange(a.Position, 0, report.FocusPosition)));
        Assert.Equal([1], report.Layers);
        Assert.Throws<SharpLmException>(() => inspector.Attention("the cat", layer: 2));
        Assert.Throws<SharpLmException>(() => inspector.Attention("the cat", focus: "dog"));
    }

    [Fact]
    public void Embedding_neighbours_are_ranked_by_cosine_and_exclude_the_token_itself()
    {
        using var inspector = TinyModels.Inspector(seed: 19);
        var report = inspector.Embedding("a", top: 5);
        Assert.Equal(5, report.Nearest.Length);
        Assert.DoesNotContain(report.Nearest, n => n.Id == report.Ids[0]);
        Assert.Equal(report.Nearest.Select(n => n.Score).OrderDescending(), report.Nearest.Select(n => n.Score));
        var row = inspector.Model.Embedding.weight![report.Ids[0]];
        Assert.Equal(row.norm().item<float>(), report.Norm, 5);
        Assert.Equal(row[..8].data<float>().ToArray(), report.FirstDimensions);
        var same = inspector.Similarity("cat", "cat");
        Assert.Equal(1.0, same.StaticCosine, 5);
        Assert.Equal(1.0, same.ContextualCosine, 5);
    }
}

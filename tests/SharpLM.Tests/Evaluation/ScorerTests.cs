using SharpLM.Core;
using SharpLM.Evaluation;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Tests.Evaluation;

public class ScorerTests
{
    const string Sentence = "the cat sat on the mat.";

    static Gpt TrainedOnOneSentence(SharpLM.Tokenization.Tokenizer tokenizer)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: 3));
        var model = new Gpt(TinyBase.Config(tokenizer, context: 32));
        int[] ids = [tokenizer.BosId, .. tokenizer.Encode(Sentence)];
        var x = tensor(ids[..^1].Select(i => (long)i).ToArray(), [1, ids.Length - 1]);
        var y = tensor(ids[1..].Select(i => (long)i).ToArray(), [1, ids.Length - 1]);
        var optimizer = OptimizerFactory.AdamW(model, new AdamWSettings(1e-2, WeightDecay: 0));
        var runner = new StepRunner(model, optimizer, new LrSchedule(1e-2, 1e-2, 0, 100));
        for (int step = 0; step < 60; step++) runner.Step(step, 1, _ => model.Loss(x, y));
        return model;
    }

    [Fact]
    public void Multiple_choice_picks_the_continuation_the_model_was_trained_on()
    {
        var tokenizer = TinyBase.Tokenizer();
        using var model = TrainedOnOneSentence(tokenizer);
        var item = new MultipleChoiceItem([("the cat sat on the", " dog."), ("the cat sat on the", " mat."), ("the cat sat on the", " sky.")], Gold: 1);
        var ll = MultipleChoiceScorer.LogLikelihoods(model, tokenizer, item);
        Assert.True(ll[1] > ll[0] && ll[1] > ll[2]);
        var result = MultipleChoiceScorer.Evaluate(model, tokenizer, [item, item with { Gold = 0 }]);
        Assert.Equal(1, result.Correct);
        Assert.Equal(1.0 / 3, result.RandomChance, 12);
    }

    [Fact]
    public void Bits_per_byte_of_ascii_text_under_a_character_tokenizer_is_loss_over_ln2()
    {
        var tokenizer = TinyBase.Tokenizer();
        using var model = TrainedOnOneSentence(tokenizer);
        var text = string.Concat(Enumerable.Repeat(Sentence + " ", 5));
        var r = TextLoss.Evaluate(model, tokenizer, text);
        Assert.Equal(text.Length, r.Tokens);
        Assert.Equal((text.Length + 31 - 1) / 32, r.Windows);
        Assert.Equal(r.Loss / Math.Log(2), r.BitsPerByte, 9);
        Assert.True(r.Loss < TextLoss.Evaluate(new Gpt(TinyBase.Config(tokenizer, 32)), tokenizer, text).Loss);
    }
}

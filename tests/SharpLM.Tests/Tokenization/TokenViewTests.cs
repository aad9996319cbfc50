using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

public class TokenViewTests
{
    [Fact]
    public void Chinese_characters_split_over_byte_tokens_display_as_merged_spans()
    {
        var tok = BpeTrainer.Train(["aaabdaaabac"], new BpeTrainingOptions(BpeTrainer.MinVocabSize + 4));
        var view = TokenView.Analyze(tok, "湖南aaab<|bos|>", allowSpecial: true);
        Assert.Equal(["湖", "南", "aaab", "<|bos|>"], view.Spans.Select(s => s.Text));
        Assert.Equal(3, view.Spans[0].Ids.Count);
        Assert.Equal((0, 3), (view.Spans[0].ByteStart, view.Spans[0].ByteEnd));
        Assert.Equal((3, 6), (view.Spans[1].ByteStart, view.Spans[1].ByteEnd));
        Assert.True(view.Spans[3].IsSpecial);
        Assert.Equal(13, view.Characters);
        Assert.Equal(17, view.Bytes);
        Assert.Equal(8, view.Ids.Length);
    }

    [Fact]
    public void Cl100k_spans_cover_the_text_exactly()
    {
        var tok = PublishedEncodings.Load("cl100k_base");
        var text = "湖南的省会城市是长沙";
        var view = TokenView.Analyze(tok, text);
        Assert.Equal(text, string.Concat(view.Spans.Select(s => s.Text)));
        Assert.Equal(view.Ids, view.Spans.SelectMany(s => s.Ids));
    }
}

using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

public class StreamingDecoderTests
{
    [Fact]
    public void Characters_split_across_byte_tokens_come_out_whole()
    {
        // The tiny vocabulary has only byte tokens for Chinese, so every character spans three tokens.
        var tok = BpeTrainer.Train(["aaabdaaabac"], new BpeTrainingOptions(BpeTrainer.MinVocabSize + 4));
        var text = "湖南的省会城市是长沙 😀 e\u0301!";
        var ids = tok.Encode(text);
        Assert.True(ids.Length > text.Length);
        var decoder = new StreamingDecoder(tok);
        var pieces = ids.Select(decoder.Push).ToList();
        pieces.Add(decoder.Flush());
        Assert.All(pieces, p => Assert.DoesNotContain('\uFFFD', p));
        Assert.Equal(text, string.Concat(pieces));
        Assert.Equal("", pieces[0]); // first byte of 湖 alone is not text yet
    }

    [Fact]
    public void Incomplete_tail_becomes_replacement_on_flush()
    {
        var tok = BpeTrainer.Train(["aaabdaaabac"], new BpeTrainingOptions(BpeTrainer.MinVocabSize + 4));
        var decoder = new StreamingDecoder(tok);
        Assert.Equal("a", decoder.Push([97, 0xE6]));
        Assert.Equal("\uFFFD", decoder.Flush());
    }
}

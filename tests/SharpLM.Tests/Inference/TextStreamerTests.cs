using System.Text;
using SharpLM.Inference;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Inference;

public class TextStreamerTests
{
    /// <summary>One token per byte: the worst case for splitting characters.</summary>
    sealed class ByteTokenizer : Tokenizer
    {
        public override int VocabSize => 256;
        public override IReadOnlyDictionary<string, int> SpecialTokenIds { get; } = new Dictionary<string, int>();
        public override int[] Encode(string text, bool allowSpecial = false) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
        public override byte[] TokenBytes(int id) => [(byte)id];
        public override void Save(string dir) => throw new NotSupportedException();
    }

    static List<string> Pieces(TextStreamer streamer, Tokenizer tokenizer, string text)
    {
        var pieces = tokenizer.Encode(text).Select(streamer.Push).ToList();
        pieces.Add(streamer.Flush());
        return pieces;
    }

    [Fact]
    public void Characters_split_over_byte_tokens_are_emitted_only_when_complete()
    {
        var tokenizer = new ByteTokenizer();
        const string text = "héllo 😀 中文";
        var pieces = Pieces(new TextStreamer(tokenizer), tokenizer, text);
        Assert.Equal(text, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        int emoji = Encoding.UTF8.GetByteCount("héllo ");
        Assert.Equal(["", "", "", "😀"], pieces[emoji..(emoji + 4)]);
    }

    [Fact]
    public void Text_cut_in_the_middle_of_a_character_ends_on_the_last_whole_character()
    {
        var tokenizer = new ByteTokenizer();
        var streamer = new TextStreamer(tokenizer);
        var bytes = tokenizer.Encode("因为这会伤害");
        var text = string.Concat(bytes[..^2].Select(streamer.Push)) + streamer.Flush(); // cut after 1 of 3 bytes of 害
        Assert.Equal("因为这会伤", text);
    }

    [Fact]
    public void A_stop_string_across_tokens_is_held_back_and_never_emitted()
    {
        var tokenizer = new ByteTokenizer();
        var streamer = new TextStreamer(tokenizer, ["STOP"]);
        var pieces = Pieces(streamer, tokenizer, "go ST, STO then STOP and more");
        Assert.Equal("go ST, STO then ", string.Concat(pieces));
        Assert.Equal("STOP", streamer.MatchedStop);
        Assert.DoesNotContain(pieces, p => p.Contains('S') && p.Contains('P'));
        // "S" and "ST" were held until the comma showed they were not a stop.
        Assert.Equal(["g", "o", " ", "", "", "ST,"], pieces[..6]);
    }

    [Fact]
    public void Held_text_that_never_completes_a_stop_is_flushed_at_the_end()
    {
        var tokenizer = new ByteTokenizer();
        var pieces = Pieces(new TextStreamer(tokenizer, ["STOP"]), tokenizer, "end ST");
        Assert.Equal("end ST", string.Concat(pieces));
        Assert.Equal("ST", pieces[^1]);
    }

    [Fact]
    public void Special_tokens_show_as_text_but_never_match_a_stop_string()
    {
        var tokenizer = CharTokenizer.Train(["ab"]);
        var streamer = new TextStreamer(tokenizer, ["s", "ab"]);
        var pieces = new[] { tokenizer.Encode("a")[0], tokenizer.BosId, tokenizer.Encode("b")[0] }.Select(streamer.Push).ToList();
        Assert.Equal(["", "a" + SpecialTokens.Bos, "b"], pieces); // "s" inside <|bos|> and "a" <|bos|> "b" are no stops
        Assert.False(streamer.Stopped);
    }
}

using System.Text;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

public class ChunkSplitterTests
{
    [Fact]
    public void Long_chunks_are_cut_at_character_boundaries_within_the_cap()
    {
        var splitter = new ChunkSplitter(ChunkSplitter.Gpt4Pattern, 16);
        var text = "短" + string.Concat(Enumerable.Repeat("湖😀南", 20)) + " ordinary words";
        var chunks = new List<(int Offset, int Length)>();
        splitter.Split(text, chunks);
        Assert.Equal(text, string.Concat(chunks.Select(c => text.Substring(c.Offset, c.Length))));
        foreach (var (offset, length) in chunks)
        {
            var piece = text.Substring(offset, length);
            Assert.InRange(Encoding.UTF8.GetByteCount(piece), 1, 16);
            Assert.False(char.IsHighSurrogate(piece[^1]), "a surrogate pair was cut");
        }
        Assert.Contains(chunks, c => text.Substring(c.Offset, c.Length) == " ordinary");
    }

    [Fact]
    public void Lone_surrogates_become_replacement_characters_and_pairs_survive() =>
        Assert.Equal("a\uFFFD😀\uFFFDb", ChunkSplitter.ReplaceLoneSurrogates("a\uDC00😀\uD800b"));

    [Fact]
    public void An_emoji_is_one_character_to_the_pattern_as_in_tiktoken()
    {
        // Python's tiktoken (code points) gives "🍎和香蕉" as one chunk: [^\r\n\p{L}\p{N}]? takes the whole emoji.
        var text = "吃苹果🍎和香蕉🍌, ok👍🏽 x";
        var chunks = new List<(int Offset, int Length)>();
        new ChunkSplitter(ChunkSplitter.Gpt4Pattern, ChunkSplitter.DefaultMaxBytes).Split(text, chunks);
        Assert.Equal(["吃苹果", "🍎和香蕉", "🍌,", " ok", "👍🏽", " x"], chunks.Select(c => text.Substring(c.Offset, c.Length)));
    }
}

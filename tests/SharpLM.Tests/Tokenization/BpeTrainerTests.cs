using System.Text;
using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

public class BpeTrainerTests
{
    static readonly BpeTrainingOptions Tiny = new(BpeTrainer.MinVocabSize + 4, Threads: 1);

    [Fact]
    public void Tiny_corpus_learns_the_hand_computed_merges()
    {
        // "aaabdaaabac" is one chunk. Bytes: a=97 b=98 c=99 d=100.
        // 1. pairs: aa×4, ab×2, bd, da, ba, ac ×1          → merge (97,97) = 256 "aa"      → [aa a b d aa a b a c]
        // 2. (256,97)×2 and (97,98)×2 tie; lower first id  → merge (97,98) = 257 "ab"      → [aa ab d aa ab a c]
        // 3. (256,257)×2 is the only pair counted twice    → merge (256,257) = 258 "aaab"  → [aaab d aaab a c]
        // 4. (258,100) (100,258) (258,97) (97,99) all ×1; lowest first id → merge (97,99) = 259 "ac"
        var tok = BpeTrainer.Train(["aaabdaaabac"], Tiny);
        Assert.Equal(["aa", "ab", "aaab", "ac"], Enumerable.Range(256, 4).Select(id => Encoding.ASCII.GetString(tok.TokenBytes(id))));
        Assert.Equal(BpeTrainer.MinVocabSize + 4, tok.VocabSize);
        Assert.Equal(260, tok.BosId);
        Assert.Equal([258, 100, 258, 259], tok.Encode("aaabdaaabac"));
    }

    [Fact]
    public void Same_corpus_gives_byte_identical_files()
    {
        using var tmp = new TempDir();
        var docs = WorldText.Documents(200_000);
        string Save(string name, int threads)
        {
            var dir = Directory.CreateDirectory(Path.Combine(tmp.Path, name)).FullName;
            BpeTrainer.Train(docs, new BpeTrainingOptions(600, Threads: threads)).Save(dir);
            return dir;
        }
        var a = Save("a", 1);
        var b = Save("b", 2);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, BpeTokenizer.RankFile)), File.ReadAllBytes(Path.Combine(b, BpeTokenizer.RankFile)));
        // tokenizer.json differs only in the measured times.
        string WithoutTimes(string dir) => string.Join("\n", File.ReadAllLines(Path.Combine(dir, Tokenizer.DescriptorFile))
            .Where(l => !l.Contains("_seconds")));
        Assert.Equal(WithoutTimes(a), WithoutTimes(b));
    }

    [Fact]
    public void Vocabulary_below_bytes_plus_specials_is_rejected()
    {
        var e = Assert.Throws<SharpLmException>(() => BpeTrainer.Train(["hello"], new BpeTrainingOptions(262)));
        Assert.Contains("263", e.Message);
    }

    [Fact]
    public void Empty_corpus_is_rejected()
    {
        var e = Assert.Throws<SharpLmException>(() => BpeTrainer.Train(["", ""], Tiny));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Python_possessive_pattern_gets_a_clear_error()
    {
        const string python = @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";
        var e = Assert.Throws<SharpLmException>(() => BpeTrainer.Train(["x"], Tiny with { Pattern = python }));
        Assert.Contains("atomic groups", e.Message);
    }

    [Fact]
    public void Generated_bilingual_text_compresses_better_with_a_larger_vocabulary()
    {
        // The data suite runs the same check on Shakespeare and Tang poems.
        var docs = WorldText.Documents(400_000);
        var sample = string.Join("\n", docs.TakeLast(40));
        docs = docs.SkipLast(40).ToArray();
        CompressionCheck.LargerVocabulariesCompressBetter(docs, sample);
    }
}

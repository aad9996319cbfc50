using System.Text;
using TiktokenTokenizer = Microsoft.ML.Tokenizers.TiktokenTokenizer;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>Behaviour of a trained tokenizer, including the Microsoft.ML.Tokenizers 2.0.1 traps it guards against.</summary>
public class BpeTokenizerTests
{
    // One small tokenizer for the class, trained on generated English and Chinese text, so merges span multi-byte characters.
    // (The data suite trains the same way on Shakespeare and Tang poems.)
    static readonly Lazy<BpeTokenizer> Trained = new(() => BpeTrainer.Train(WorldText.Documents(100_000), new BpeTrainingOptions(1000)));

    static BpeTokenizer Tok => Trained.Value;

    [Fact]
    public void Random_unicode_strings_round_trip()
    {
        var random = new Random(1234);
        string[] pieces = ["湖南的省会城市是长沙", "👍🏽", "👨‍👩‍👧", "e\u0301", "\u0000\u0007\u001b", "   ", "\t\t\n\r\n", "<|bos|>", "'s", "123456"];
        for (int n = 0; n < 200; n++)
        {
            var sb = new StringBuilder();
            int parts = random.Next(1, 30);
            for (int p = 0; p < parts; p++)
            {
                if (random.Next(3) == 0) { sb.Append(pieces[random.Next(pieces.Length)]); continue; }
                int cp;
                do cp = random.Next(4) == 0 ? random.Next(0x20, 0x80) : random.Next(0, 0x110000);
                while (cp is >= 0xD800 and <= 0xDFFF);
                sb.Append(char.ConvertFromUtf32(cp));
            }
            var s = sb.ToString();
            Assert.Equal(s, Tok.Decode(Tok.Encode(s)));
        }
    }

    [Fact]
    public void Specials_are_not_produced_from_plain_text()
    {
        var text = "<|bos|>Hello<|user_start|>hi<|assistant_end|>";
        var plain = Tok.Encode(text);
        Assert.DoesNotContain(plain, Tok.IsSpecial);
        Assert.Equal(text, Tok.Decode(plain));
        var special = Tok.Encode(text, allowSpecial: true);
        Assert.Equal(Tok.BosId, special[0]);
        Assert.Contains(Tok.SpecialId(SpecialTokens.UserStart), special);
        Assert.Equal(Tok.SpecialId(SpecialTokens.AssistantEnd), special[^1]);
        Assert.Equal(text, Tok.Decode(special));
    }

    [Fact]
    public void Special_token_survives_after_more_distinct_words_than_the_library_cache_holds()
    {
        // Microsoft.ML.Tokenizers recognises specials only through its 8,192-entry LRU cache; flood it first.
        var words = string.Join(" ", Enumerable.Range(0, 12_000).Select(i => $"w{i}x"));
        Tok.Encode(words);
        Assert.Equal([Tok.BosId], Tok.Encode(SpecialTokens.Bos, allowSpecial: true));
        var ids = Tok.Encode(words + SpecialTokens.Bos, allowSpecial: true);
        Assert.Equal(Tok.BosId, ids[^1]);
        Assert.Single(ids, Tok.BosId);
    }

    [Fact]
    public void Long_chinese_run_is_capped_and_round_trips()
    {
        var run = string.Concat(Enumerable.Repeat("湖南的省会城市是长沙", 6554))[..65_536];
        var ids = Tok.Encode(run);
        Assert.Equal(run, Tok.Decode(ids));
        Assert.True(ids.Length >= 65_536 * 3 / Tok.Splitter.MaxBytes);
    }

    [Fact]
    public void Lone_surrogate_becomes_one_replacement_character()
    {
        Assert.Equal("a\uFFFDb", Tok.Decode(Tok.Encode("a\uD800b")));
        Assert.Equal("\uFFFD", Tok.Decode(Tok.Encode("\uDC00")));
        Assert.Equal("😀", Tok.Decode(Tok.Encode("😀")));
    }

    [Fact]
    public void Save_and_load_give_the_same_ids()
    {
        using var tmp = new TempDir();
        Tok.Save(tmp.Path);
        var loaded = Tokenizer.Load(tmp.Path);
        var text = "To be, or not to be: 床前明月光 <|bos|>";
        Assert.Equal(Tok.Encode(text, true), loaded.Encode(text, true));
        Assert.Equal(Tok.VocabSize, loaded.VocabSize);
    }

    [Fact]
    public void Batch_encoding_matches_one_by_one()
    {
        string[] docs = ["first document", "第二个文件", "", "third one, with 123 numbers"];
        Assert.Equal(docs.Select(d => Tok.Encode(d)), Tok.EncodeBatch(docs, threads: 2));
    }

    [Fact]
    public void Gpt4_pattern_with_atomic_groups_matches_cl100k_ids()
    {
        var ours = PublishedEncodings.Load("cl100k_base");
        var reference = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        var text = "Hello world! It's 2024, isn't it?\n\n  Indented   spaces\t\ttabs.\r\n"
                   + "湖南的省会城市是长沙。I'll say: \"don't\" 12345678 x++ <|bos|> 😀👨‍👩‍👧 e\u0301 ...\n   \n";
        Assert.Equal(reference.EncodeToIds(text), ours.Encode(text));
        Assert.Equal(text, ours.Decode(ours.Encode(text)));
        Assert.True(ours.VocabSize > 100_256);
        Assert.Equal(SpecialTokens.All.Count, SpecialTokens.All.Select(ours.SpecialId).Distinct().Count());
    }

    [Fact]
    public void O200k_loads_through_the_same_interface()
    {
        var tok = Tokenizer.Load("o200k_base");
        var text = "Hello 世界, it's fine.";
        Assert.Equal(TiktokenTokenizer.CreateForEncoding("o200k_base").EncodeToIds(text), tok.Encode(text));
    }
}

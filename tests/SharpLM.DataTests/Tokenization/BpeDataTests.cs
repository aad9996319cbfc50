using System.Text;
using SharpLM.Tests.Tokenization;
using SharpLM.Tokenization;

namespace SharpLM.DataTests.Tokenization;

/// <summary>The BPE trainer on real text: Shakespeare (English) and Tang poems (Chinese).</summary>
public class BpeDataTests
{
    static string[] Corpus(int en, int zh, out string sample)
    {
        var english = File.ReadAllText(SharedData.Path("pretrain", "en", "tinyshakespeare.txt"))[..en];
        var chinese = File.ReadAllText(SharedData.Path("pretrain", "zh", "zh_tang_poems_every4th.txt"))[..zh];
        sample = english[..20_000] + chinese[..7_000];
        return [.. english.Split("\n\n"), .. chinese.Split('\n')];
    }

    [DataFact]
    public void Shakespeare_and_Tang_poems_compress_better_with_a_larger_vocabulary()
    {
        var docs = Corpus(300_000, 100_000, out var sample); // ~600 KB
        CompressionCheck.LargerVocabulariesCompressBetter(docs, sample);
    }

    [DataFact]
    public void Tokenizer_trained_on_real_text_round_trips_the_whole_corpus_files()
    {
        var tok = BpeTrainer.Train(Corpus(100_000, 30_000, out _), new BpeTrainingOptions(1000));
        foreach (var file in new[] { "pretrain/en/tinyshakespeare.txt", "pretrain/zh/zh_hongloumeng.txt" })
        {
            var text = File.ReadAllText(SharedData.Path(file))[..200_000];
            Assert.Equal(text, tok.Decode(tok.Encode(text)));
        }
    }
}

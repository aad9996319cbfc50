using System.Text;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The check the unit suite (generated world text) and the data suite (Shakespeare, Tang poems) both run: BPE at vocabularies
/// 300, 1,000 and 3,000 round-trips a held-out sample and compresses it better at each size, past 2.5 bytes per token.
/// </summary>
public static class CompressionCheck
{
    public static void LargerVocabulariesCompressBetter(IReadOnlyList<string> docs, string sample)
    {
        double previous = 0;
        foreach (var vocab in new[] { 300, 1000, 3000 })
        {
            var tok = BpeTrainer.Train(docs, new BpeTrainingOptions(vocab));
            Assert.Equal(vocab, tok.VocabSize);
            var ids = tok.Encode(sample);
            Assert.Equal(sample, tok.Decode(ids));
            double bytesPerToken = (double)Encoding.UTF8.GetByteCount(sample) / ids.Length;
            Assert.True(bytesPerToken > previous, $"vocab {vocab}: {bytesPerToken:F2} bytes/token, not above {previous:F2}");
            previous = bytesPerToken;
        }
        Assert.True(previous > 2.5, $"{previous:F2} bytes/token at 3000 tokens");
    }
}

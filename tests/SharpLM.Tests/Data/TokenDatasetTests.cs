using SharpLM.Data;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Tests.Data;

public sealed class TokenDatasetTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Every_tenth_document_goes_to_validation_each_starting_with_bos()
    {
        var lines = Enumerable.Range(0, 20).Select(i => $"{{\"text\": \"doc{i % 10}\"}}");
        File.WriteAllLines(_tmp["docs.jsonl"], lines);
        var tokenizer = CharTokenizer.Train(["doc0123456789"]);
        TokenDataset.Prepare([_tmp["docs.jsonl"]], tokenizer, TokenizerFingerprint.Of(tokenizer), _tmp["data"]);
        using var data = TokenDataset.Open(_tmp["data"]);
        Assert.Equal("uint16", data.Index["dtype"]!.GetValue<string>());
        Assert.Equal(18 * 5, data.Train.Length); // <|bos|> d o c N
        Assert.Equal(2 * 5, data.Val.Length);
        var val = new long[10];
        data.Val.Read(0, val);
        Assert.Equal(tokenizer.BosId, val[0]);
        Assert.Equal("doc9", tokenizer.Decode(val[1..5].Select(v => (int)v).ToArray()));
        Assert.Equal(tokenizer.BosId, val[5]);
    }

    [Fact]
    public void Batches_are_shifted_windows_and_depend_only_on_seed_and_index()
    {
        var tokenizer = CharTokenizer.Train(["abcdefghij"]);
        File.WriteAllText(_tmp["one.txt"], string.Concat(Enumerable.Repeat("abcdefghij", 50)));
        TokenDataset.Prepare([_tmp["one.txt"]], tokenizer, TokenizerFingerprint.Of(tokenizer), _tmp["data"]);
        using var data = TokenDataset.Open(_tmp["data"]);
        Assert.Equal(501 - 501 / 10, data.Train.Length); // one document: the last 10% of the stream is validation
        var (x, y) = BatchSampler.Sample(data.Train, 3, 8, seed: 5, stream: 0, index: 7);
        Assert.Equal(new long[] { 3, 8 }, x.shape);
        Assert.True(x.narrow(1, 1, 7).eq(y.narrow(1, 0, 7)).all().item<bool>());
        var (x2, _) = BatchSampler.Sample(data.Train, 3, 8, seed: 5, stream: 0, index: 7);
        var (x3, _) = BatchSampler.Sample(data.Train, 3, 8, seed: 5, stream: 0, index: 8);
        Assert.True(x.eq(x2).all().item<bool>());
        Assert.False(x.eq(x3).all().item<bool>());
    }
}

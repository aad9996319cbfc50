using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>Each corruption below hangs, corrupts or crashes Microsoft.ML.Tokenizers 2.0.1; we must reject it first.</summary>
public class RankFileTests
{
    static string SaveTiny(TempDir tmp)
    {
        BpeTrainer.Train(["aaabdaaabac"], new BpeTrainingOptions(BpeTrainer.MinVocabSize + 4)).Save(tmp.Path);
        return Path.Combine(tmp.Path, BpeTokenizer.RankFile);
    }

    static SharpLmException LoadCorrupted(Func<List<string>, List<string>> edit, string suffix = "\n")
    {
        using var tmp = new TempDir();
        var path = SaveTiny(tmp);
        var lines = File.ReadAllText(path).TrimEnd('\n').Split('\n').ToList();
        File.WriteAllText(path, string.Join("\n", edit(lines)) + suffix);
        var e = Assert.Throws<SharpLmException>(() => Tokenizer.Load(tmp.Path));
        Assert.Contains(BpeTokenizer.RankFile, e.Message);
        return e;
    }

    [Fact]
    public void Written_file_has_one_line_per_rank_and_one_final_newline()
    {
        using var tmp = new TempDir();
        var text = File.ReadAllText(SaveTiny(tmp));
        Assert.EndsWith("\n", text);
        Assert.DoesNotContain("\n\n", text);
        Assert.Equal(260, text.Count(c => c == '\n'));
        Assert.StartsWith("AA== 0\nAQ== 1\n", text);
    }

    [Fact]
    public void Blank_line_is_rejected_with_its_line() =>
        Assert.Contains(":11:", LoadCorrupted(l => { l.Insert(10, ""); return l; }).Message);

    [Fact]
    public void Doubled_final_newline_is_rejected() =>
        Assert.Contains("blank line", LoadCorrupted(l => l, "\n\n").Message);

    [Fact]
    public void Duplicate_rank_is_rejected() =>
        Assert.Contains("duplicate", LoadCorrupted(l => { l[5] = l[5].Split(' ')[0] + " 4"; return l; }).Message);

    [Fact]
    public void Missing_byte_is_rejected() =>
        Assert.Contains("byte 0x41", LoadCorrupted(l => l.Select(x => x.StartsWith("QQ== ") ? "QUFBQUE= 65" : x).ToList()).Message);

    [Fact]
    public void Bad_base64_is_rejected() =>
        Assert.Contains(":3:", LoadCorrupted(l => { l[2] = "@@@ 2"; return l; }).Message);

    [Fact]
    public void Truncated_file_is_rejected() =>
        Assert.Contains("truncated", LoadCorrupted(l => l.Take(100).ToList(), suffix: "QU").Message);

    [Fact]
    public void Special_id_inside_the_ranks_is_rejected()
    {
        using var tmp = new TempDir();
        SaveTiny(tmp);
        var json = Path.Combine(tmp.Path, Tokenizer.DescriptorFile);
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"<|bos|>\": 260", "\"<|bos|>\": 259"));
        var e = Assert.Throws<SharpLmException>(() => Tokenizer.Load(tmp.Path));
        Assert.Contains("collides with rank 259", e.Message);
    }
}

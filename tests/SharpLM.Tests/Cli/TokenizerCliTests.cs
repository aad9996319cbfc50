using SharpLM.Cli;

namespace SharpLM.Tests.Cli;

/// <summary>The tokenizer verbs run in-process: bad input exits 1 and leaves no output folder behind.</summary>
public class TokenizerCliTests
{
    static int Run(params string[] args) => CliRun.Run(args).Code;

    static void AssertFailsWithoutOutput(TempDir tmp, params string[] args)
    {
        var output = Path.Combine(tmp.Path, "out");
        Assert.Equal(1, Run([.. args, "--out", output, "--json"]));
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetDirectories(tmp.Path)); // no temporary sibling either
    }

    [Fact]
    public void Train_then_tokenize_succeeds()
    {
        using var tmp = new TempDir();
        var corpus = tmp.File("c.txt", "hello hello world\n\n你好世界\n");
        var output = Path.Combine(tmp.Path, "tok");
        Assert.Equal(0, Run("tokenizer", "train", "--input", corpus, "--vocab-size", "270", "--out", output, "--json"));
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.tiktoken")));
        Assert.Equal(0, Run("tokenize", "--tokenizer", output, "--json", "湖南的省会城市是长沙"));
        var charOut = Path.Combine(tmp.Path, "chars");
        Assert.Equal(0, Run("tokenizer", "train", "--kind", "char", "--input", corpus, "--out", charOut, "--json"));
        Assert.Equal(0, Run("tokenize", "--tokenizer", charOut, "--json", "hello"));
    }

    [Fact]
    public void Missing_file_fails()
    {
        using var tmp = new TempDir();
        AssertFailsWithoutOutput(tmp, "tokenizer", "train", "--input", "/no/such.txt", "--vocab-size", "300");
    }

    [Fact]
    public void Empty_corpus_fails()
    {
        using var tmp = new TempDir();
        AssertFailsWithoutOutput(tmp, "tokenizer", "train", "--input", tmp.File("empty.txt", ""), "--vocab-size", "300");
    }

    [Fact]
    public void Too_small_vocabulary_fails()
    {
        using var tmp = new TempDir();
        AssertFailsWithoutOutput(tmp, "tokenizer", "train", "--input", tmp.File("a.txt", "abc"), "--vocab-size", "100");
    }

    [Fact]
    public void Invalid_utf8_fails()
    {
        using var tmp = new TempDir();
        var bad = tmp.File("bad.txt");
        File.WriteAllBytes(bad, [.. "fine\n"u8, 0xC3, 0x28, .. "\n"u8]);
        AssertFailsWithoutOutput(tmp, "tokenizer", "train", "--input", bad, "--vocab-size", "300");
    }

    [Fact]
    public void Corrupted_rank_file_fails_to_tokenize()
    {
        using var tmp = new TempDir();
        var output = Path.Combine(tmp.Path, "tok");
        Assert.Equal(0, Run("tokenizer", "train", "--input", tmp.File("c.txt", "hello world"), "--vocab-size", "270", "--out", output, "--json"));
        var ranks = Path.Combine(output, "tokenizer.tiktoken");
        File.WriteAllText(ranks, File.ReadAllText(ranks) + "\n");
        Assert.Equal(1, Run("tokenize", "--tokenizer", output, "x"));
    }

    [Fact]
    public void Unknown_tokenizer_fails() => Assert.Equal(1, Run("tokenize", "--tokenizer", "/no/such/tokenizer", "x"));
}

/// <summary>Tests that redirect the process-wide console must not run in parallel.</summary>

using System.IO.Compression;
using System.Text;
using SharpLM.Core;
using SharpLM.Data;

namespace SharpLM.Tests.Data;

public class CorpusReaderTests
{
    [Fact]
    public void Text_paragraphs_concatenate_back_to_the_file()
    {
        using var tmp = new TempDir();
        var text = "\uFEFFFirst line\r\nsecond\n\n\nPara two\n  \nlast without newline";
        var path = tmp.File("a.txt");
        File.WriteAllText(path, text, new UTF8Encoding(false)); // the text starts with a BOM
        var docs = CorpusReader.ReadDocuments([path]).ToList();
        Assert.Equal(3, docs.Count);
        Assert.Equal(text[1..], string.Concat(docs.Select(d => d.Text)));
        Assert.Equal([1L, 5, 7], docs.Select(d => d.Line));
    }

    [Fact]
    public void Jsonl_json_and_gzip_are_read_from_a_folder_in_sorted_order()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(Path.Combine(tmp.Path, "sub"));
        tmp.File("b.jsonl", "{\"text\":\"one\"}\n\n{\"text\":\"two\",\"id\":2}\n");
        tmp.File("sub/c.json", "[\"three\", {\"text\": \"four\"}]");
        tmp.File("ignored.csv", "x");
        using (var gz = new GZipStream(File.Create(tmp.File("a.txt.gz")), CompressionLevel.Fastest))
            gz.Write("zero\n"u8);
        var docs = CorpusReader.ReadDocuments([tmp.Path]).Select(d => d.Text).ToList();
        Assert.Equal(["zero\n", "one", "two", "three", "four"], docs);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var e = Assert.Throws<SharpLmException>(() => CorpusReader.ReadDocuments(["/no/such/corpus.txt"]).ToList());
        Assert.Contains("/no/such/corpus.txt: file or folder not found", e.Message);
    }

    [Fact]
    public void Malformed_jsonl_names_file_and_line()
    {
        using var tmp = new TempDir();
        var path = tmp.File("bad.jsonl", "{\"text\":\"ok\"}\n{\"text\": 5}\n");
        var e = Assert.Throws<SharpLmException>(() => CorpusReader.ReadDocuments([path]).ToList());
        Assert.Contains($"{path}:2", e.Message);
        path = tmp.File("broken.jsonl", "{\"text\":\"ok\"}\n\n{\"text\": \n");
        e = Assert.Throws<SharpLmException>(() => CorpusReader.ReadDocuments([path]).ToList());
        Assert.Contains($"{path}:3", e.Message);
    }

    [Fact]
    public void Invalid_utf8_names_file_line_and_byte_offset()
    {
        using var tmp = new TempDir();
        var path = tmp.File("bad.txt");
        File.WriteAllBytes(path, [.. "ok\nab"u8, 0xFF, .. "c\n"u8]);
        var e = Assert.Throws<SharpLmException>(() => CorpusReader.ReadDocuments([path]).ToList());
        Assert.Contains($"{path}:2", e.Message);
        Assert.Contains("byte offset 5", e.Message);
    }
}

using System.IO.Compression;
using System.Text;
using SharpLM.Core;
using SharpLM.Data;

namespace SharpLM.Tests.Data;

public sealed class CorpusReaderTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    string Write(string name, string text)
    {
        var path = _tmp[name];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Reads_txt_jsonl_json_gz_and_folders()
    {
        Write("corpus/a.txt", "plain text");
        Write("corpus/b.jsonl", "{\"text\": \"first\"}\n\n{\"text\": \"second\", \"id\": 2}\n");
        Write("corpus/c.json", "[\"third\", {\"text\": \"fourth\"}]");
        using (var gz = new GZipStream(File.Create(_tmp["corpus/d.txt.gz"]), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes("zipped"));
        Write("corpus/ignored.csv", "x,y");
        var docs = CorpusReader.ReadDocuments([_tmp["corpus"]]).ToList();
        Assert.Equal(["plain text", "first", "second", "third", "fourth", "zipped"], docs.Select(d => d.Text));
        Assert.EndsWith("b.jsonl:3", docs[2].Source);
    }

    [Fact]
    public void A_bad_jsonl_line_is_reported_with_file_and_line()
    {
        var path = Write("bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n");
        var e = Assert.Throws<SharpLmException>(() => CorpusReader.ReadDocuments([path]).ToList());
        Assert.Contains($"{path}:2", e.Message);
        Assert.Contains("text", e.Message);
    }

    [Fact]
    public void Invalid_utf8_is_rejected_naming_the_file()
    {
        var path = _tmp["latin1.txt"];
        File.WriteAllBytes(path, [0x63, 0x61, 0x66, 0xE9, 0x0A]);
        var e = Assert.Throws<SharpLmException>(() => CorpusReader.ReadDocuments([path]).ToList());
        Assert.Contains(path, e.Message);
        Assert.Contains("UTF-8", e.Message);
    }
}

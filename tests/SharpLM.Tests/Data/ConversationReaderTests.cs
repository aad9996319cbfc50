using System.IO.Compression;
using System.Text;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Data;

public class ConversationReaderTests
{
    // One fixture per format (the data suite reads every public SFT file the same way).
    [Theory]
    [InlineData("sft/alpaca.json", 2)]
    [InlineData("sft/self_instruct.jsonl", 3)]
    [InlineData("sft/dolly.jsonl", 2)]
    [InlineData("sft/oasst.json", 2)]
    [InlineData("sft/messages.jsonl", 2)]
    [InlineData("sft/prompt_completion.jsonl", 2)]
    [InlineData("sft/gsm8k.jsonl", 2)]
    public void Every_supported_sft_format_reads_into_valid_conversations(string file, int conversations)
    {
        var set = ConversationReader.Read(Fixture.Path(file));
        Assert.Equal(conversations, set.Conversations.Count);
        Assert.Equal(0, set.Skipped);
        foreach (var c in set.Conversations) ChatTemplate.Check(c.Messages, forGeneration: false);
    }

    [Fact]
    public void Formats_map_their_fields_to_the_expected_turns()
    {
        string[] Turns(string file, int index = 0) =>
            ConversationReader.Read(Fixture.Path(file)).Conversations[index].Messages.Select(m => $"{m.Role}: {m.Content}").ToArray();
        Assert.Equal(["user: Add the numbers.\n\n2 and 3", "assistant: 5"], Turns("sft/alpaca.json", 1));
        Assert.Equal(["user: Give the opposite word.\n\nup", "assistant: down"], Turns("sft/self_instruct.jsonl", 1));
        Assert.Equal(["user: Summarise the text.\n\nThe river floods every spring.", "assistant: It floods in spring."], Turns("sft/dolly.jsonl", 1));
        Assert.Equal(["user: 水在多少度沸腾？", "assistant: 在标准大气压下是一百摄氏度。", "user: 再说一遍？", "assistant: 好的：水在一百度沸腾。"],
            Turns("sft/oasst.json"));
        Assert.Equal(["system: Be brief.", "user: Hi", "assistant: Hello.", "user: Bye", "assistant: Goodbye."], Turns("sft/messages.jsonl"));
        Assert.Equal(["user: 2+2?", "assistant: 4"], Turns("sft/messages.jsonl", 1));
        Assert.Equal(["user: what is a kite?", "assistant: A toy that flies on the wind."], Turns("sft/prompt_completion.jsonl", 1));
        var gsm = ConversationReader.Read(Fixture.Path("sft/gsm8k.jsonl")).Conversations[1];
        Assert.EndsWith("#### 30", gsm.Messages[1].Content);
        Assert.EndsWith("gsm8k.jsonl:2", gsm.Source);
    }

    [Fact]
    public void Gzipped_and_plain_files_read_the_same()
    {
        using var dir = new TempDir();
        var plain = ConversationReader.Read(Fixture.Path("sft/oasst.json")).Conversations;
        var gz = ConversationReader.Read(Fixture.Gzipped(dir, "sft/oasst.json")).Conversations;
        Assert.Equal(plain.SelectMany(c => c.Messages), gz.SelectMany(c => c.Messages));
    }

    [Fact]
    public void Malformed_record_is_reported_with_file_line_and_field()
    {
        using var dir = new TempDir();
        var path = dir["bad.jsonl"];
        File.WriteAllLines(path, [
            """{"instruction":"a","input":"","output":"b"}""",
            "",
            """{"instruction":"a","input":"","output":5}""",
            "{not json",
        ]);
        var e = Assert.Throws<SharpLmException>(() => ConversationReader.Read(path));
        Assert.Equal($"{path}:3: output: expected a string, found Number", e.Message);

        var set = ConversationReader.Read(path, skipBad: true);
        Assert.Single(set.Conversations);
        Assert.Equal(2, set.Skipped);
        Assert.StartsWith($"{path}:4: invalid JSON", set.SkipReasons[1]);
    }

    [Fact]
    public void Json_array_errors_name_the_line_the_record_starts_on()
    {
        using var dir = new TempDir();
        var path = dir["bad.json"];
        File.WriteAllText(path, "[\n  {\"question\": \"q\", \"answer\": \"a\"},\n  {\n    \"question\": \"q\"\n  }\n]");
        var e = Assert.Throws<SharpLmException>(() => ConversationReader.Read(path));
        Assert.StartsWith($"{path}:3: unknown record format (fields: question)", e.Message);
    }

    [Fact]
    public void Gzipped_multi_turn_messages_are_read_and_bad_roles_named()
    {
        using var dir = new TempDir();
        var path = dir["chat.jsonl.gz"];
        var jsonl = """
            {"messages":[{"role":"system","content":"s"},{"role":"user","content":"u1"},{"role":"assistant","content":"a1"},{"role":"user","content":"u2"},{"role":"assistant","content":"a2"}]}
            {"messages":[{"role":"user","content":"u"},{"role":"robot","content":"a"}]}
            """;
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest)) gz.Write(Encoding.UTF8.GetBytes(jsonl));
        var set = ConversationReader.Read(path, skipBad: true);
        Assert.Equal(["system", "user", "assistant", "user", "assistant"], set.Conversations[0].Messages.Select(m => m.Role));
        Assert.Equal(1, set.Skipped);
        Assert.Equal($"{path}:2: messages[1].role: unknown role 'robot' (expected system, user or assistant)", set.SkipReasons[0]);
    }
}

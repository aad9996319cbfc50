using System.IO.Compression;
using System.Text;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Data;

public class ConversationReaderTests
{
    [Theory]
    [InlineData("sft/en/alpaca_selfinstruct_seed_tasks_175.jsonl", 175)]
    [InlineData("sft/en/dolly_hhrlhf_train_small_1000.jsonl", 1000)]
    [InlineData("sft/en/dolly_open_qa_chinkara.jsonl", 3742)]
    [InlineData("sft/en/gsm8k_train_7473.jsonl.gz", 7473)]
    [InlineData("sft/en/rasbt_instruction_data_1100.json", 1100)]
    [InlineData("sft/zh/identity_selfcognition_template.json", 91)]
    [InlineData("sft/zh/oasst1_zh_sft_766.json", 766)]
    public void Every_shared_sft_file_reads_into_valid_conversations(string file, int records)
    {
        var set = ConversationReader.Read(SharedData.Path(file));
        Assert.Equal(records, set.Conversations.Count);
        Assert.Equal(0, set.Skipped);
        foreach (var c in set.Conversations) ChatTemplate.Check(c.Messages, forGeneration: false);
    }

    [Fact]
    public void Openassistant_history_becomes_earlier_turns_and_alpaca_prompt_template_is_unwrapped()
    {
        var oasst = ConversationReader.Read(SharedData.Path("sft/zh/oasst1_zh_sft_766.json")).Conversations;
        Assert.Contains(oasst, c => c.Messages.Count >= 4);
        var dolly = ConversationReader.Read(SharedData.Path("sft/en/dolly_hhrlhf_train_small_1000.jsonl")).Conversations[0];
        Assert.Equal("what is kangen water?", dolly.Messages[0].Content);
        Assert.EndsWith("dolly_hhrlhf_train_small_1000.jsonl:1", dolly.Source);
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

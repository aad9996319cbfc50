using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Alignment;

public class PreferenceReaderTests : IDisposable
{
    readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    string Write(string name, string text)
    {
        File.WriteAllText(_tmp[name], text);
        return _tmp[name];
    }

    [Fact]
    public void Prompt_chosen_rejected_jsonl_with_strings_and_message_lists()
    {
        var path = Write("p.jsonl",
            """
            {"prompt": "Hi?", "chosen": "Hello, thanks!", "rejected": "What."}

            {"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A good"}], "rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A bad"}]}
            """);
        var pairs = PreferenceReader.Read([path]);
        Assert.Equal(2, pairs.Count);
        Assert.Equal([new ChatMessage("user", "Hi?")], pairs[0].Prompt);
        Assert.Equal(("Hello, thanks!", "What."), (pairs[0].Chosen, pairs[0].Rejected));
        Assert.Equal($"{path}:1", pairs[0].Source);
        Assert.Equal([new ChatMessage("user", "Q")], pairs[1].Prompt);
        Assert.Equal(("A good", "A bad"), (pairs[1].Chosen, pairs[1].Rejected));
        Assert.Equal($"{path}:3", pairs[1].Source);
    }

    [Fact]
    public void Tie_and_both_bad_votes_are_skipped_and_counted_and_a_tie_with_a_chosen_answer_is_an_error()
    {
        var path = Write("votes.jsonl",
            """
            {"prompt": [{"role": "user", "content": "Hi?"}], "chosen": "Hello!", "rejected": "Go.", "verdict": "a", "model_a": "x"}
            {"prompt": [{"role": "user", "content": "Hi?"}], "answer_a": "Hey", "answer_b": "Yo", "verdict": "tie"}
            {"prompt": [{"role": "user", "content": "Hi?"}], "answer_a": "Hm", "answer_b": "Eh", "verdict": "both_bad"}
            """);
        var pair = Assert.Single(PreferenceReader.Read([path], out int undecided));
        Assert.Equal(("Hello!", "Go."), (pair.Chosen, pair.Rejected));
        Assert.Equal(2, undecided);
        var bad = Write("bad.jsonl", """{"prompt": "Hi?", "chosen": "a", "rejected": "b", "verdict": "tie"}""");
        var e = Assert.Throws<SharpLmException>(() => PreferenceReader.Read([bad]));
        Assert.StartsWith($"{bad}:1: verdict: 'tie' prefers neither answer", e.Message);
    }

    [Fact]
    public void Hh_rlhf_transcripts_share_their_prefix_as_the_prompt()
    {
        var path = Write("hh.jsonl",
            """{"chosen": "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: help me\n\nAssistant: Sure, gladly.", "rejected": "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: help me\n\nAssistant: Sure not."}""");
        var pair = Assert.Single(PreferenceReader.Read([path]));
        Assert.Equal([new ChatMessage("user", "hi"), new ChatMessage("assistant", "hello"), new ChatMessage("user", "help me")], pair.Prompt);
        Assert.Equal(("Sure, gladly.", "Sure not."), (pair.Chosen, pair.Rejected)); // the shared "Sure" stays in the answers
    }

    [Fact]
    public void Json_array_records_keep_the_line_they_start_on()
    {
        var path = Write("a.json", "[\n  {\"instruction\": \"Add\", \"input\": \"1+1\", \"chosen\": \"2\", \"rejected\": \"3\"},\n  {\"instruction\": \"Say hi\",\n   \"chosen\": \"hi\", \"rejected\": 5}\n]");
        var e = Assert.Throws<SharpLmException>(() => PreferenceReader.Read([path]));
        Assert.Equal($"{path}:3: rejected: expected a string, found Number", e.Message);
    }

    [Theory]
    [InlineData("{\"prompt\": \"x\", \"chosen\": \"a\"}", "1: rejected: missing")]
    [InlineData("{\"prompt\": \"x\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"x\", \"chosen\": \"a\", \"rejected\": \"b\"", "2: invalid JSON")]
    [InlineData("\n\n{\"conversations\": [{\"from\": \"alien\", \"value\": \"x\"}], \"chosen\": \"a\", \"rejected\": \"b\"}", "3: conversations[0]: unknown role 'alien'")]
    [InlineData("{\"chosen\": \"no transcript\", \"rejected\": \"b\"}", "1: chosen: expected an HH-RLHF transcript")]
    public void Malformed_records_are_reported_with_file_and_line(string text, string expected)
    {
        var path = Write("bad.jsonl", text);
        var e = Assert.Throws<SharpLmException>(() => PreferenceReader.Read([path]));
        Assert.StartsWith($"{path}:{expected}", e.Message);
    }

    [Theory]
    [InlineData("en/dpo_en_demo_300.json", 300)]
    [InlineData("en/hh_rlhf_harmless_base_test.jsonl.gz", 2312)]
    [InlineData("en/rasbt_instruction_data_with_preference_1100.json", 1100)]
    [InlineData("zh/dpo_zh_500_medicalgpt.jsonl", 500)]
    [InlineData("zh/dpo_zh_demo_300.json", 300)]
    public void Every_shared_preference_file_reads_completely(string file, int count)
    {
        var pairs = PreferenceReader.Read([SharedData.Path("preference/" + file)]);
        Assert.Equal(count, pairs.Count);
        Assert.All(pairs, p => Assert.Equal(ChatMessage.User, p.Prompt[^1].Role));
    }

    [Fact]
    public void Prompt_files_read_questions_with_their_reference_answers()
    {
        var jsonl = Write("gsm.jsonl", "{\"question\": \"2+3?\", \"answer\": \"so #### 5\"}\n");
        var txt = Write("p.txt", "first\n\nsecond\n");
        var prompts = PromptReader.Read([jsonl, txt]);
        Assert.Equal(3, prompts.Count);
        Assert.Equal(("2+3?", "so #### 5"), (prompts[0].Prompt[0].Content, prompts[0].Reference));
        Assert.Equal(("second", $"{txt}:3"), (prompts[2].Prompt[0].Content, prompts[2].Source));
    }
}

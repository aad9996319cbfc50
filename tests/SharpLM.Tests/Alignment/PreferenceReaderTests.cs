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

    // One fixture per layout of the public preference sets (the data suite reads the real files).
    [Theory]
    [InlineData("preference/prompt_chosen_rejected.jsonl", "Thanks!", "You are welcome.", "Whatever.")]
    [InlineData("preference/sharegpt.json", "Name a fruit.", "An apple.", "A chair.")]
    [InlineData("preference/medicalgpt.jsonl", "头疼吃什么？", "先休息；持续头疼请就医。", "随便吃点药。")]
    [InlineData("preference/instruction.json", "Say thanks.", "Thank you very much!", "Fine.")]
    [InlineData("preference/hh_rlhf.jsonl", "How are you?", "Well, thank you.", "Leave me alone.")]
    public void Every_supported_preference_layout_reads_completely(string file, string lastPrompt, string chosen, string rejected)
    {
        var pairs = PreferenceReader.Read([Fixture.Path(file)]);
        Assert.Equal(2, pairs.Count);
        Assert.All(pairs, p => Assert.Equal(ChatMessage.User, p.Prompt[^1].Role));
        Assert.Equal((lastPrompt, chosen, rejected), (pairs[1].Prompt[^1].Content, pairs[1].Chosen, pairs[1].Rejected));
        using var dir = new TempDir();
        Assert.Equal(pairs.Select(p => p.Chosen), PreferenceReader.Read([Fixture.Gzipped(dir, file)]).Select(p => p.Chosen));
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

    [Fact]
    public void Skip_bad_counts_malformed_pairs_and_prompts_and_keeps_the_rest()
    {
        var path = Write("mixed.jsonl", string.Join("\n",
            "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}",
            "{not json",
            "{\"prompt\": \"a\", \"chosen\": \"b\"}",
            "{\"prompt\": \"d\", \"chosen\": \"e\", \"rejected\": \"f\"}"));
        Assert.StartsWith($"{path}:2: invalid JSON", Assert.Throws<SharpLmException>(() => PreferenceReader.Read([path])).Message);
        var pairs = PreferenceReader.ReadSet([path], skipBad: true);
        Assert.Equal(["b", "e"], pairs.Items.Select(p => p.Chosen));
        Assert.Equal(2, pairs.Skipped);
        Assert.StartsWith($"skipped 2 malformed records (first: {path}:2: invalid JSON", pairs.Describe());
        Assert.Equal($"{path}:3: rejected: missing (a preference record needs chosen and rejected)", pairs.SkipReasons[1]);

        var prompts = Write("prompts.jsonl", "{\"question\": \"q1\", \"answer\": \"1\"}\n{\"question\": \"\"}\n{\"question\": \"q3\"}");
        Assert.Equal($"{prompts}:2: question: is empty", Assert.Throws<SharpLmException>(() => PromptReader.Read([prompts])).Message);
        var read = PromptReader.ReadSet([prompts], skipBad: true);
        Assert.Equal((2, 1), (read.Items.Count, read.Skipped));
        var none = Write("none.jsonl", "{\"question\": \"\"}");
        Assert.Equal($"{none}: no prompts found (skipped 1 malformed record (first: {none}:1: question: is empty))",
            Assert.Throws<SharpLmException>(() => PromptReader.ReadSet([none], skipBad: true)).Message);
    }
}

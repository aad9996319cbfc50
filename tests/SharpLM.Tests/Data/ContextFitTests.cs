using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Data;

public class ContextFitTests
{
    static readonly Tokenizer Chars = CharTokenizer.Train(["abcdefghijklmnopqrstuvwxyz "]);
    static readonly ChatTemplate Template = new(Chars);
    static readonly RenderedConversation Long = Template.Render([
        new(ChatMessage.User, "first question"), new(ChatMessage.Assistant, "first answer"),
        new(ChatMessage.User, "second"), new(ChatMessage.Assistant, "last answer"),
    ]);

    [Fact]
    public void Truncation_cuts_history_from_the_left_and_keeps_the_last_answer_whole()
    {
        int max = 25;
        var cut = ContextFit.Truncate(Long, max, Chars.BosId, Chars.SpecialId(SpecialTokens.AssistantStart))!;
        Assert.Equal(max, cut.Ids.Length);
        Assert.Equal(Chars.BosId, cut.Ids[0]);
        Assert.Equal(0, cut.Mask[0]);
        Assert.EndsWith("<|user_start|>second<|user_end|><|assistant_start|>last answer<|assistant_end|>", Chars.Decode(cut.Ids));
        Assert.Equal(Long.Mask[^(max - 1)..], cut.Mask[1..]);
    }

    [Fact]
    public void Policies_are_counted_and_a_last_answer_that_cannot_fit_is_skipped()
    {
        var start = Chars.SpecialId(SpecialTokens.AssistantStart);
        var shortOne = Template.Render([new(ChatMessage.User, "q"), new(ChatMessage.Assistant, "a")]);
        var (fitted, counts) = ContextFit.Apply([Long, shortOne], 25, LongRecordPolicy.TruncateLeft, Chars.BosId, start);
        Assert.Equal(new FitCounts(1, 1, 0), counts);
        Assert.Equal(2, fitted.Count);
        Assert.Equal(new FitCounts(1, 0, 1), ContextFit.Apply([Long, shortOne], 25, LongRecordPolicy.Skip, Chars.BosId, start).Counts);
        Assert.Equal(new FitCounts(1, 0, 1), ContextFit.Apply([Long, shortOne], 10, LongRecordPolicy.TruncateLeft, Chars.BosId, start).Counts);
        var e = Assert.Throws<SharpLmException>(() =>
            ContextFit.Apply([shortOne, Long], 25, LongRecordPolicy.Error, Chars.BosId, start, ["a.jsonl:1", "a.jsonl:2"]));
        Assert.StartsWith($"a.jsonl:2: the conversation has {Long.Ids.Length} tokens, more than the limit of 25", e.Message);
    }

    [Fact]
    public void Counts_read_as_one_line()
    {
        Assert.Equal("skipped 14 of 7,473 prompts longer than 200 tokens", new FitCounts(7459, 0, 14).Describe("prompts", 200));
        Assert.Equal("skipped 1 of 10 pairs longer than 64 tokens; truncated 2 of 10 pairs to 64 tokens (oldest tokens cut)",
            new FitCounts(7, 2, 1).Describe("pairs", 64));
        Assert.Equal("all 3 conversations fit in 65 tokens", new FitCounts(3, 0, 0).Describe("conversations", 65));
        Assert.Equal([LongRecordPolicy.Skip, LongRecordPolicy.TruncateLeft, LongRecordPolicy.Error], LongRecords.Names.Select(LongRecords.Parse));
    }

    static PromptRecord Prompt(string source, params ChatMessage[] messages) => new(messages, null, source);

    [Fact]
    public void Long_prompts_are_skipped_cut_from_the_left_or_named_in_an_error()
    {
        var shortOne = Prompt("p.jsonl:1", new ChatMessage(ChatMessage.User, "short"));
        var longOne = Prompt("p.jsonl:2", new ChatMessage(ChatMessage.User, "a very long question about nothing at all"));
        int limit = Template.RenderForGeneration(shortOne.Prompt).Length + 5;

        var (kept, counts) = PromptFit.Apply([shortOne, longOne], Template, limit, LongRecordPolicy.Skip, "test");
        Assert.Equal([shortOne], kept);
        Assert.Equal($"skipped 1 of 2 prompts longer than {limit} tokens", counts.Describe("prompts", limit));

        var (cut, cutCounts) = PromptFit.Apply([shortOne, longOne], Template, limit, LongRecordPolicy.TruncateLeft, "test");
        Assert.Equal(new FitCounts(1, 1, 0), cutCounts);
        Assert.Equal(limit, Template.RenderForGeneration(cut[1].Prompt).Length);
        Assert.Equal("about nothing at all"[^(cut[1].Prompt[0].Content.Length)..], cut[1].Prompt[0].Content); // the end of the question stays
        Assert.Equal("p.jsonl:2", cut[1].Source);

        var e = Assert.Throws<SharpLmException>(() => PromptFit.Apply([shortOne, longOne], Template, limit, LongRecordPolicy.Error, "--max-prompt-tokens"));
        Assert.StartsWith($"p.jsonl:2: the prompt has {Template.RenderForGeneration(longOne.Prompt).Length} tokens, more than the limit of {limit} (--max-prompt-tokens)", e.Message);
    }

    [Fact]
    public void Truncating_a_multi_turn_prompt_drops_earlier_exchanges_first_and_keeps_the_system_message()
    {
        var turns = Prompt("c.jsonl:1", new ChatMessage(ChatMessage.System, "be kind"), new ChatMessage(ChatMessage.User, "first question"),
            new ChatMessage(ChatMessage.Assistant, "first answer"), new ChatMessage(ChatMessage.User, "second"));
        int limit = Template.RenderForGeneration([turns.Prompt[0], turns.Prompt[3]]).Length;
        var cut = PromptFit.Truncate(Template, turns.Prompt, limit)!;
        Assert.Equal([turns.Prompt[0], turns.Prompt[3]], cut);
        Assert.Null(PromptFit.Truncate(Template, turns.Prompt, 3)); // not even one character of the question fits
    }
}

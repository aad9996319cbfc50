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
    public void Policies_are_counted_and_a_last_answer_that_cannot_fit_is_dropped()
    {
        var start = Chars.SpecialId(SpecialTokens.AssistantStart);
        var shortOne = Template.Render([new(ChatMessage.User, "q"), new(ChatMessage.Assistant, "a")]);
        var (fitted, counts) = ContextFit.Apply([Long, shortOne], 25, OverflowPolicy.TruncateHistory, Chars.BosId, start);
        Assert.Equal(new FitCounts(1, 1, 0), counts);
        Assert.Equal(2, fitted.Count);
        Assert.Equal(new FitCounts(1, 0, 1), ContextFit.Apply([Long, shortOne], 25, OverflowPolicy.Drop, Chars.BosId, start).Counts);
        Assert.Equal(new FitCounts(1, 0, 1), ContextFit.Apply([Long, shortOne], 10, OverflowPolicy.TruncateHistory, Chars.BosId, start).Counts);
    }
}

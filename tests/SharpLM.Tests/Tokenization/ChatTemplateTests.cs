using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

public class ChatTemplateTests
{
    static readonly Tokenizer Chars = CharTokenizer.Train(["abcdefghijklmnopqrstuvwxyz ?!."]);

    [Fact]
    public void Mask_covers_exactly_assistant_content_and_end_token_in_multi_turn_conversations()
    {
        var template = new ChatTemplate(Chars);
        var r = template.Render([
            new(ChatMessage.System, "be nice"),
            new(ChatMessage.User, "hi"),
            new(ChatMessage.Assistant, "hello"),
            new(ChatMessage.User, "why?"),
            new(ChatMessage.Assistant, "because."),
        ]);
        Assert.Equal(r.Ids.Length, r.Mask.Length);
        var trained = string.Concat(r.Ids.Where((_, i) => r.Mask[i] == 1).Select(id => Chars.Decode([id])));
        Assert.Equal("hello<|assistant_end|>because.<|assistant_end|>", trained);
        Assert.Equal(Chars.BosId, r.Ids[0]);
        Assert.Equal(2 * 1 + "hello".Length + "because.".Length, r.TrainedTokens);
    }

    [Fact]
    public void Generation_prompt_ends_with_assistant_start()
    {
        var ids = new ChatTemplate(Chars).RenderForGeneration([new(ChatMessage.User, "hi")]);
        Assert.Equal("<|bos|><|user_start|>hi<|user_end|><|assistant_start|>", Chars.Decode(ids));
    }

    [Fact]
    public void Out_of_order_roles_are_rejected()
    {
        var e = Assert.Throws<SharpLmException>(() =>
            new ChatTemplate(Chars).Render([new(ChatMessage.Assistant, "x"), new(ChatMessage.User, "y")]));
        Assert.Contains("message 1", e.Message);
    }
}

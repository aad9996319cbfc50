using SharpLM.Tokenization;

namespace SharpLM.Interop;

/// <summary>
/// <see cref="ChatTemplate"/> written as a Jinja chat template (tokenizer_config.json, GGUF <c>tokenizer.chat_template</c>),
/// built from the same delimiters so both render the same text: &lt;|bos|&gt;, each message between its role's start and
/// end tokens, and &lt;|assistant_start|&gt; when a generation prompt is asked for. No whitespace outside the tags, so
/// Jinja's whitespace rules cannot add any; an unknown role raises. Turn order is left to the caller
/// (<see cref="ChatTemplate.Check"/> in SharpLM).
/// </summary>
public static class ChatTemplateJinja
{
    public static string Template { get; } = Build();

    static string Build()
    {
        string Role(string role, string start, string end, string keyword) =>
            $"{{% {keyword} message['role'] == '{role}' %}}{start}{{{{ message['content'] }}}}{end}";
        return
            $"{SpecialTokens.Bos}" +
            "{% for message in messages %}" +
            Role(ChatMessage.System, SpecialTokens.SystemStart, SpecialTokens.SystemEnd, "if") +
            Role(ChatMessage.User, SpecialTokens.UserStart, SpecialTokens.UserEnd, "elif") +
            Role(ChatMessage.Assistant, SpecialTokens.AssistantStart, SpecialTokens.AssistantEnd, "elif") +
            "{% else %}{{ raise_exception('unknown role ' + message['role']) }}{% endif %}" +
            "{% endfor %}" +
            $"{{% if add_generation_prompt %}}{SpecialTokens.AssistantStart}{{% endif %}}";
    }
}

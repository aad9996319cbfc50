using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;

namespace SharpLM.Tokenization;

/// <summary>One message of a conversation. Role is "system", "user" or "assistant".</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public const string System = "system", User = "user", Assistant = "assistant";
}

/// <summary>Token ids of a rendered conversation and, aligned with them, which ids are trained (1) or only context (0).</summary>
public sealed record RenderedConversation(int[] Ids, byte[] Mask)
{
    public int TrainedTokens => Mask.Count(m => m != 0);
}

/// <summary>
/// Renders conversations over the tokenizer's special tokens:
/// <c>&lt;|bos|&gt; [&lt;|system_start|&gt; s &lt;|system_end|&gt;] (&lt;|user_start|&gt; u &lt;|user_end|&gt; &lt;|assistant_start|&gt; a &lt;|assistant_end|&gt;)*</c>.
/// One method returns ids and mask together (as nanochat does), so the mask cannot drift from the ids: it is 1 exactly on
/// assistant content and the assistant end token. Stored as chat_template.json in a run folder so every later stage and
/// <c>chat</c> render the same way.
/// </summary>
public sealed class ChatTemplate
{
    public const string FileName = "chat_template.json";
    const string Format = "sharplm-chat/1";

    readonly Tokenizer _tokenizer;
    readonly int _bos, _systemStart, _systemEnd, _userStart, _userEnd, _assistantStart, _assistantEnd;

    public ChatTemplate(Tokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        _bos = tokenizer.SpecialId(SpecialTokens.Bos);
        _systemStart = tokenizer.SpecialId(SpecialTokens.SystemStart);
        _systemEnd = tokenizer.SpecialId(SpecialTokens.SystemEnd);
        _userStart = tokenizer.SpecialId(SpecialTokens.UserStart);
        _userEnd = tokenizer.SpecialId(SpecialTokens.UserEnd);
        _assistantStart = tokenizer.SpecialId(SpecialTokens.AssistantStart);
        _assistantEnd = tokenizer.SpecialId(SpecialTokens.AssistantEnd);
    }

    /// <summary>The token that ends an assistant turn: generation stops on it.</summary>
    public int AssistantEndId => _assistantEnd;

    /// <summary>Renders a whole conversation for training. It must alternate user/assistant after an optional system message.</summary>
    public RenderedConversation Render(IReadOnlyList<ChatMessage> messages)
    {
        Check(messages, forGeneration: false);
        var ids = new List<int>();
        var mask = new List<byte>();
        void Add(int id, bool trained) { ids.Add(id); mask.Add(trained ? (byte)1 : (byte)0); }
        void AddText(string text, bool trained)
        {
            foreach (var id in _tokenizer.Encode(text)) Add(id, trained);
        }

        Add(_bos, false);
        foreach (var m in messages)
        {
            var (start, end) = Delimiters(m.Role);
            bool assistant = m.Role == ChatMessage.Assistant;
            Add(start, false);
            AddText(m.Content, assistant);
            Add(end, assistant);
        }
        return new RenderedConversation(ids.ToArray(), mask.ToArray());
    }

    /// <summary>Renders the conversation so far, ending with the assistant start token, for the model to continue.</summary>
    public int[] RenderForGeneration(IReadOnlyList<ChatMessage> messages)
    {
        Check(messages, forGeneration: true);
        var ids = new List<int> { _bos };
        foreach (var m in messages)
        {
            var (start, end) = Delimiters(m.Role);
            ids.Add(start);
            ids.AddRange(_tokenizer.Encode(m.Content));
            ids.Add(end);
        }
        ids.Add(_assistantStart);
        return ids.ToArray();
    }

    (int Start, int End) Delimiters(string role) => role switch
    {
        ChatMessage.System => (_systemStart, _systemEnd),
        ChatMessage.User => (_userStart, _userEnd),
        ChatMessage.Assistant => (_assistantStart, _assistantEnd),
        _ => throw new SharpLmException($"unknown role '{role}' (expected system, user or assistant)"),
    };

    /// <summary>Throws unless the roles alternate user/assistant after an optional system message and end with a user message (generation) or an assistant message (training).</summary>
    public static void Check(IReadOnlyList<ChatMessage> messages, bool forGeneration)
    {
        int i = messages.Count > 0 && messages[0].Role == ChatMessage.System ? 1 : 0;
        if (messages.Count == i) throw new SharpLmException("a conversation needs at least one user message");
        for (int turn = 0; i < messages.Count; i++, turn++)
        {
            var expected = turn % 2 == 0 ? ChatMessage.User : ChatMessage.Assistant;
            if (messages[i].Role != expected)
                throw new SharpLmException($"message {i + 1} has role '{messages[i].Role}' where '{expected}' was expected " +
                                           "(after an optional system message, user and assistant alternate)");
        }
        var last = messages[^1].Role;
        if (forGeneration && last != ChatMessage.User)
            throw new SharpLmException("to generate an answer the conversation must end with a user message");
        if (!forGeneration && last != ChatMessage.Assistant)
            throw new SharpLmException("a training conversation must end with an assistant message");
    }

    public void Save(string dir)
    {
        var json = new JsonObject
        {
            ["format"] = Format,
            ["bos"] = SpecialTokens.Bos,
            ["system"] = new JsonArray(SpecialTokens.SystemStart, SpecialTokens.SystemEnd),
            ["user"] = new JsonArray(SpecialTokens.UserStart, SpecialTokens.UserEnd),
            ["assistant"] = new JsonArray(SpecialTokens.AssistantStart, SpecialTokens.AssistantEnd),
            ["trained"] = "assistant content and assistant end token",
        };
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The template stored in a run folder, or null for a base model that has none yet.</summary>
    public static ChatTemplate? TryLoad(string dir, Tokenizer tokenizer)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var format = JsonNode.Parse(File.ReadAllText(path))?["format"]?.GetValue<string>();
            if (format != Format) throw SharpLmException.At(path, null, "format", $"expected {Format}, found '{format}'");
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(path, e.LineNumber + 1, null, e.Message);
        }
        return new ChatTemplate(tokenizer);
    }
}

using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Inference;

/// <summary>
/// A multi-turn conversation with a model. With a <see cref="ChatTemplate"/> (a model after SFT) turns are rendered with its
/// special tokens and an answer ends at the assistant end token; without one (a base model) the conversation is plain text
/// the model continues. An answer also ends at any other special token (a new turn or document starting), so recorded
/// answers are plain text. When the conversation leaves too little room for an answer, the oldest turns are dropped.
/// </summary>
public sealed class ChatSession
{
    readonly Generator _generator;
    readonly ChatTemplate? _template;
    readonly List<ChatMessage> _messages = [];
    int _answers; // each answer draws from its own seed (Seed + answers so far): a session replays, answers differ

    public ChatSession(Generator generator, ChatTemplate? template, GenerationOptions options)
    {
        _generator = generator;
        _template = template;
        Options = options.Validate();
    }

    public GenerationOptions Options { get; set; }

    public bool UsesTemplate => _template is not null;

    public IReadOnlyList<ChatMessage> Messages => _messages;

    /// <summary>Tokens kept free for the answer: the answer length, but at most half the context.</summary>
    int Reserve => Math.Min(Options.MaxNewTokens, _generator.ContextLength / 2);

    public void Reset() => _messages.Clear();

    /// <summary>Adds the user's message; returns how many earlier turns were dropped to make room (0 usually).</summary>
    public int Say(string text)
    {
        _generator.Tokenizer.Encode(text); // fails here, before the conversation changes, on text the tokenizer cannot encode
        _messages.Add(new ChatMessage(ChatMessage.User, text));
        int dropped = 0;
        while (Prompt().Length + Reserve > _generator.ContextLength && _messages.Count > 1)
        {
            _messages.RemoveRange(0, Math.Min(2, _messages.Count - 1)); // one user message and its answer
            dropped++;
        }
        int length = Prompt().Length;
        if (length >= _generator.ContextLength)
        {
            _messages.Clear();
            throw new SharpLmException(
                $"the message is {length} tokens long, more than the model's context of {_generator.ContextLength} tokens allows");
        }
        return dropped;
    }

    /// <summary>Streams the answer to the last message and records it (also when cancelled part-way).</summary>
    public async IAsyncEnumerable<StreamPiece> Answer([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        if (_messages.Count == 0 || _messages[^1].Role != ChatMessage.User)
            throw new SharpLmException("say something first: the conversation must end with a user message");
        var options = Options with { Seed = Options.Seed + _answers++, StopTokenIds = [.. Options.StopTokenIds ?? [], .. _generator.Tokenizer.SpecialTokenIds.Values] };
        var text = new System.Text.StringBuilder();
        try
        {
            await foreach (var piece in _generator.Stream(Prompt(), options with { Overflow = ContextOverflow.Stop }, ct))
            {
                text.Append(piece.Text);
                yield return piece;
            }
        }
        finally
        {
            // Also when the caller stops reading: the turns must keep alternating.
            _messages.Add(new ChatMessage(ChatMessage.Assistant, text.ToString()));
        }
    }

    int[] Prompt()
    {
        if (_template is not null) return _template.RenderForGeneration(_messages);
        return _generator.EncodePrompt(string.Concat(_messages.Select(m => m.Content))); // a base model: one running text
    }
}

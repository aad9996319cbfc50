using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SharpLM.Inference;
using SharpLM.Training;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using SharpChatMessage = SharpLM.Tokenization.ChatMessage;

namespace SharpLM.Serving;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over a loaded SharpLM model, in-process: a .NET app asks a SharpLM
/// model as it would ask any chat service, with no HTTP. Requests share the model through the same continuous-batching
/// <see cref="Scheduler"/> as <c>sharplm serve</c>, so the client may be used from many threads at once.
/// </summary>
public sealed class SharpLmChatClient : IChatClient
{
    readonly ServedModel _model;
    readonly bool _owned;
    readonly RequestLimits _limits = new();

    public SharpLmChatClient(ServedModel model) => _model = model;

    SharpLmChatClient(ServedModel model, bool owned) => (_model, _owned) = (model, owned);

    /// <summary>Loads a run folder; the client owns the model (disposing it releases the model).</summary>
    public static SharpLmChatClient Open(string runFolder, int parallel = 4, string precision = "auto")
    {
        var loaded = RunFolder.LoadModel(runFolder);
        var id = Path.GetFileName(Path.GetFullPath(loaded.Dir).TrimEnd(Path.DirectorySeparatorChar));
        return new SharpLmChatClient(new ServedModel(id, loaded, parallel, 256, new ServingMetrics(), precision), owned: true);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
                                                     CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        string? id = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            text.Append(update.Text);
            finish = update.FinishReason ?? finish;
            id ??= update.ResponseId;
            foreach (var u in update.Contents.OfType<UsageContent>()) usage = u.Details;
        }
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, text.ToString()))
        {
            FinishReason = finish,
            ModelId = _model.Id,
            ResponseId = id,
            Usage = usage,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = Request(messages, options);
        var prompt = _model.ChatPrompt(request.Messages!);
        var job = new GenerationJob(prompt, request.Options(0, prompt.Length, _model.ContextLength, _model.StopTokenIds,
            request.Seed ?? Random.Shared.NextInt64(int.MaxValue), _limits), cancellationToken);
        if (!_model.Scheduler.TryEnqueue([job])) throw new InvalidOperationException("the model's queue is full; retry shortly");
        string id = "sharplm-" + Guid.NewGuid().ToString("N")[..24];
        int generated = 0;
        await foreach (var piece in job.Pieces.ReadAllAsync(cancellationToken))
        {
            if (piece.Token is not null) generated++;
            var update = new ChatResponseUpdate(ChatRole.Assistant, piece.Text) { ResponseId = id, ModelId = _model.Id };
            if (piece.Stop is { } stop)
            {
                cancellationToken.ThrowIfCancellationRequested();
                update.FinishReason = stop is StopReason.StopToken or StopReason.StopString ? ChatFinishReason.Stop : ChatFinishReason.Length;
                update.Contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = prompt.Length,
                    OutputTokenCount = generated,
                    TotalTokenCount = prompt.Length + generated,
                }));
            }
            yield return update;
        }
    }

    /// <summary>The messages and options as a request, so both paths share one set of checks and defaults.</summary>
    static CompletionRequest Request(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        var list = new List<SharpChatMessage>();
        if (options?.Instructions is { Length: > 0 } instructions) list.Add(new SharpChatMessage(SharpChatMessage.System, instructions));
        foreach (var m in messages)
        {
            string role = m.Role == ChatRole.System ? SharpChatMessage.System
                : m.Role == ChatRole.User ? SharpChatMessage.User
                : m.Role == ChatRole.Assistant ? SharpChatMessage.Assistant
                : throw new ArgumentException($"role '{m.Role}' is not supported (system, user, assistant)", nameof(messages));
            list.Add(new SharpChatMessage(role, m.Text));
        }
        Tokenization.ChatTemplate.Check(list, forGeneration: true);
        var sampling = new SamplingOptions(
            Temperature: options?.Temperature ?? 1f,
            TopK: options?.TopK ?? 0,
            TopP: options?.TopP ?? 1f,
            FrequencyPenalty: options?.FrequencyPenalty ?? 0f,
            PresencePenalty: options?.PresencePenalty ?? 0f).Validate();
        return new CompletionRequest(options?.ModelId, list, null, options?.MaxOutputTokens, sampling,
            options?.StopSequences?.ToList() ?? [], options?.Seed, 1, false, 0, true, true, null);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("sharplm", null, _model.Id)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(_model) ? _model
        : null;

    public void Dispose()
    {
        if (_owned) _model.Dispose();
    }
}

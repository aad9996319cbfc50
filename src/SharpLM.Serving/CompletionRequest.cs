using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Inference;
using SharpLM.Tokenization;

namespace SharpLM.Serving;

/// <summary>Per-request limits, so one client cannot take the server's memory or time.</summary>
public sealed record RequestLimits(int MaxMessages = 256, int MaxMessageChars = 32_768, int MaxChoices = 8,
                                   int MaxStops = 4, int DefaultMaxTokens = 512, long MaxBodyBytes = 1 << 20);

/// <summary>
/// A <c>/v1/chat/completions</c> or <c>/v1/completions</c> request, read field by field from the JSON body: the fields
/// OpenAI's clients send (checked against the official .NET SDK and Microsoft.Extensions.AI.OpenAI) plus the extensions
/// top_k, min_p and repetition_penalty. Unknown fields are ignored; a known field of the wrong type or out of range is an
/// <see cref="ApiException"/> (400) naming it.
/// </summary>
public sealed record CompletionRequest(
    string? Model,
    IReadOnlyList<ChatMessage>? Messages,
    string? Prompt,
    int? MaxTokens,
    SamplingOptions Sampling,
    IReadOnlyList<string> Stop,
    long? Seed,
    int N,
    bool LogProbs,
    int TopLogProbs,
    bool Stream,
    bool IncludeUsage,
    string? User)
{
    public static CompletionRequest Parse(JsonNode? body, bool chat, RequestLimits limits)
    {
        if (body is not JsonObject o) throw new ApiException(400, "the request body must be a JSON object");
        IReadOnlyList<ChatMessage>? messages = null;
        string? prompt = null;
        if (chat) messages = ReadMessages(o, limits);
        else prompt = PromptText(o, limits);

        var stop = Stops(o, limits);
        int n = Int(o, "n") ?? 1;
        if (n < 1 || n > limits.MaxChoices) throw ApiException.BadRequest("n", $"must be in 1..{limits.MaxChoices} (got {n})");
        int? maxTokens = Int(o, "max_completion_tokens") ?? Int(o, "max_tokens");
        if (maxTokens is < 1) throw ApiException.BadRequest("max_tokens", $"must be at least 1 (got {maxTokens})");

        bool logprobs;
        int top;
        if (chat)
        {
            logprobs = Bool(o, "logprobs") ?? false;
            top = Int(o, "top_logprobs") ?? 0;
            if (top is < 0 or > 20) throw ApiException.BadRequest("top_logprobs", $"must be in 0..20 (got {top})");
            if (top > 0 && !logprobs) throw ApiException.BadRequest("top_logprobs", "needs logprobs set to true");
        }
        else
        {
            var k = Int(o, "logprobs"); // the legacy endpoint: an integer, how many alternatives per token
            if (k is < 0 or > 20) throw ApiException.BadRequest("logprobs", $"must be in 0..20 (got {k})");
            (logprobs, top) = (k is not null, k ?? 0);
        }

        var sampling = new SamplingOptions(
            Temperature: Float(o, "temperature") ?? 1f,
            TopK: Int(o, "top_k") ?? 0,
            TopP: Float(o, "top_p") ?? 1f,
            MinP: Float(o, "min_p") ?? 0f,
            RepetitionPenalty: Float(o, "repetition_penalty") ?? 1f,
            FrequencyPenalty: Float(o, "frequency_penalty") ?? 0f,
            PresencePenalty: Float(o, "presence_penalty") ?? 0f);
        Range(sampling.Temperature, 0, 2, "temperature");
        Range(sampling.TopP, 0, 1, "top_p", openLow: true);
        Range(sampling.MinP, 0, 1, "min_p", openHigh: true);
        Range(sampling.FrequencyPenalty, -2, 2, "frequency_penalty");
        Range(sampling.PresencePenalty, -2, 2, "presence_penalty");
        if (sampling.TopK < 0) throw ApiException.BadRequest("top_k", $"must be 0 (off) or positive (got {sampling.TopK})");
        if (!(sampling.RepetitionPenalty > 0)) throw ApiException.BadRequest("repetition_penalty", "must be positive");

        var streamOptions = o["stream_options"];
        bool includeUsage = false;
        if (streamOptions is JsonObject so) includeUsage = Bool(so, "include_usage", "stream_options.include_usage") ?? false;
        else if (streamOptions is not null && streamOptions.GetValueKind() != JsonValueKind.Null)
            throw ApiException.BadRequest("stream_options", "expected an object");

        return new CompletionRequest(Str(o, "model"), messages, prompt, maxTokens, sampling, stop, Long(o, "seed"), n, logprobs, top,
            Bool(o, "stream") ?? false, includeUsage, Str(o, "user"));
    }

    /// <summary>The generation options for choice <paramref name="choice"/> of a prompt of <paramref name="promptLength"/> ids.</summary>
    public GenerationOptions Options(int choice, int promptLength, int contextLength, IReadOnlyList<int> stopIds, long seed,
                                     RequestLimits limits)
    {
        if (promptLength >= contextLength)
            throw new ApiException(400, $"the prompt is {promptLength} tokens long; this model's context is {contextLength} tokens",
                                   "messages", code: "context_length_exceeded");
        int room = contextLength - promptLength;
        return new GenerationOptions(
            MaxNewTokens: Math.Min(MaxTokens ?? limits.DefaultMaxTokens, room),
            Sampling: Sampling,
            StopTokenIds: stopIds,
            StopStrings: Stop,
            Seed: seed + choice,
            LogProbs: LogProbs,
            TopCandidates: TopLogProbs);
    }

    static IReadOnlyList<ChatMessage> ReadMessages(JsonObject o, RequestLimits limits)
    {
        if (o["messages"] is not JsonArray list) throw ApiException.BadRequest("messages", "expected a list of messages");
        if (list.Count == 0) throw ApiException.BadRequest("messages", "is empty");
        if (list.Count > limits.MaxMessages) throw ApiException.BadRequest("messages", $"more than {limits.MaxMessages} messages");
        var messages = new List<ChatMessage>();
        for (int i = 0; i < list.Count; i++)
        {
            string field = $"messages[{i}]";
            if (list[i] is not JsonObject m) throw ApiException.BadRequest(field, "expected a message object");
            var role = Str(m, "role", field + ".role") ?? throw ApiException.BadRequest(field + ".role", "missing");
            role = role switch
            {
                "system" or "developer" => ChatMessage.System,
                "user" => ChatMessage.User,
                "assistant" => ChatMessage.Assistant,
                _ => throw ApiException.BadRequest(field + ".role", $"'{role}' is not supported (system, developer, user, assistant)"),
            };
            var content = Content(m["content"], field + ".content");
            if (content.Length > limits.MaxMessageChars)
                throw ApiException.BadRequest(field + ".content", $"longer than {limits.MaxMessageChars} characters");
            messages.Add(new ChatMessage(role, content));
        }
        try
        {
            ChatTemplate.Check(messages, forGeneration: true);
        }
        catch (Core.SharpLmException e)
        {
            throw ApiException.BadRequest("messages", e.Message);
        }
        return messages;
    }

    /// <summary>A string, null (an assistant turn without text) or a list of parts whose text parts are joined.</summary>
    static string Content(JsonNode? node, string field)
    {
        switch (node)
        {
            case null: return "";
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: return v.GetValue<string>();
            case JsonValue v when v.GetValueKind() == JsonValueKind.Null: return "";
            case JsonArray parts:
                var text = new System.Text.StringBuilder();
                for (int i = 0; i < parts.Count; i++)
                {
                    if (parts[i] is not JsonObject part || Str(part, "type", $"{field}[{i}].type") != "text")
                        throw ApiException.BadRequest($"{field}[{i}]", "only text parts are supported");
                    text.Append(Str(part, "text", $"{field}[{i}].text"));
                }
                return text.ToString();
            default: throw ApiException.BadRequest(field, "expected a string or a list of text parts");
        }
    }

    static string PromptText(JsonObject o, RequestLimits limits)
    {
        var node = o["prompt"];
        string text = node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonArray { Count: 1 } a when a[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonArray => throw ApiException.BadRequest("prompt", "only one prompt per request is supported"),
            null => throw ApiException.BadRequest("prompt", "missing"),
            _ => throw ApiException.BadRequest("prompt", "expected a string"),
        };
        if (text.Length > limits.MaxMessageChars) throw ApiException.BadRequest("prompt", $"longer than {limits.MaxMessageChars} characters");
        return text;
    }

    static IReadOnlyList<string> Stops(JsonObject o, RequestLimits limits)
    {
        var node = o["stop"];
        List<string> stops = node switch
        {
            null => [],
            JsonValue v when v.GetValueKind() == JsonValueKind.Null => [],
            JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
            JsonArray a => a.Select((s, i) => s is JsonValue sv && sv.GetValueKind() == JsonValueKind.String ? sv.GetValue<string>()
                : throw ApiException.BadRequest($"stop[{i}]", "expected a string")).ToList(),
            _ => throw ApiException.BadRequest("stop", "expected a string or a list of strings"),
        };
        if (stops.Count > limits.MaxStops) throw ApiException.BadRequest("stop", $"at most {limits.MaxStops} stop sequences");
        if (stops.Any(s => s.Length == 0)) throw ApiException.BadRequest("stop", "a stop sequence must not be empty");
        return stops;
    }

    static void Range(float value, float low, float high, string field, bool openLow = false, bool openHigh = false)
    {
        bool ok = (openLow ? value > low : value >= low) && (openHigh ? value < high : value <= high);
        if (!ok) throw ApiException.BadRequest(field, $"must be in {(openLow ? "(" : "[")}{low}, {high}{(openHigh ? ")" : "]")} (got {value})");
    }

    static JsonValue? Value(JsonObject o, string name, string field, JsonValueKind kind, string expected)
    {
        var node = o[name];
        if (node is null || node.GetValueKind() == JsonValueKind.Null) return null;
        if (node is JsonValue v && (v.GetValueKind() == kind || (kind == JsonValueKind.True && v.GetValueKind() == JsonValueKind.False)))
            return v;
        throw ApiException.BadRequest(field, $"expected {expected}, found {node.GetValueKind().ToString().ToLowerInvariant()}");
    }

    static string? Str(JsonObject o, string name, string? field = null) =>
        Value(o, name, field ?? name, JsonValueKind.String, "a string")?.GetValue<string>();

    static bool? Bool(JsonObject o, string name, string? field = null) =>
        Value(o, name, field ?? name, JsonValueKind.True, "true or false")?.GetValue<bool>();

    static float? Float(JsonObject o, string name) =>
        Value(o, name, name, JsonValueKind.Number, "a number") is { } v ? (float)v.GetValue<double>() : null;

    static long? Long(JsonObject o, string name)
    {
        var v = Value(o, name, name, JsonValueKind.Number, "an integer");
        if (v is null) return null;
        return v.TryGetValue<long>(out var l) ? l : throw ApiException.BadRequest(name, "expected an integer");
    }

    static int? Int(JsonObject o, string name)
    {
        var l = Long(o, name);
        return l is null ? null : l is >= int.MinValue and <= int.MaxValue ? (int)l : throw ApiException.BadRequest(name, "out of range");
    }
}

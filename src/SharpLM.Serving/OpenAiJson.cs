using System.Text.Json.Nodes;
using SharpLM.Inference;
using SharpLM.Tokenization;

namespace SharpLM.Serving;

/// <summary>
/// The response shapes of OpenAI's API as the official clients read them: finish_reason is stop or length (never null,
/// empty or "eos") in a final chunk and in a whole response; logprobs as <c>content[{token, logprob, bytes, top_logprobs}]</c>
/// (chat) or <c>{tokens, token_logprobs, top_logprobs, text_offset}</c> (legacy completions); usage counts tokens.
/// </summary>
public static class OpenAiJson
{
    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string FinishReason(StopReason stop) => stop switch
    {
        StopReason.StopToken or StopReason.StopString => "stop",
        _ => "length", // the token budget or the context ran out
    };

    public static JsonObject Usage(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
    };

    public static JsonObject Error(ApiException e) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = e.Message,
            ["type"] = e.Type,
            ["param"] = e.Param,
            ["code"] = e.Code,
        },
    };

    /// <summary>Chat logprobs for the given tokens: each with its bytes and its most likely alternatives.</summary>
    public static JsonObject ChatLogProbs(Tokenizer tokenizer, IEnumerable<GeneratedToken> tokens) => new()
    {
        ["content"] = new JsonArray(tokens.Select(t => (JsonNode)new JsonObject
        {
            ["token"] = TokenText(tokenizer, t.Id),
            ["logprob"] = t.LogProb,
            ["bytes"] = Bytes(tokenizer, t.Id),
            ["top_logprobs"] = new JsonArray(t.Candidates.Select(c => (JsonNode)new JsonObject
            {
                ["token"] = TokenText(tokenizer, c.Id),
                ["logprob"] = MathF.Log(Math.Max(c.Probability, float.Epsilon)),
                ["bytes"] = Bytes(tokenizer, c.Id),
            }).ToArray()),
        }).ToArray()),
        ["refusal"] = null,
    };

    /// <summary>Legacy completion logprobs; <paramref name="offset"/> is the text offset of the first token.</summary>
    public static JsonObject CompletionLogProbs(Tokenizer tokenizer, IReadOnlyList<GeneratedToken> tokens, int offset)
    {
        var offsets = new JsonArray();
        foreach (var t in tokens)
        {
            offsets.Add(offset);
            offset += TokenText(tokenizer, t.Id).Length;
        }
        return new JsonObject
        {
            ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)TokenText(tokenizer, t.Id)).ToArray()),
            ["token_logprobs"] = new JsonArray(tokens.Select(t => (JsonNode)t.LogProb).ToArray()),
            ["top_logprobs"] = new JsonArray(tokens.Select(t =>
            {
                var top = new JsonObject();
                foreach (var c in t.Candidates) top[TokenText(tokenizer, c.Id)] = MathF.Log(Math.Max(c.Probability, float.Epsilon));
                return (JsonNode)top;
            }).ToArray()),
            ["text_offset"] = offsets,
        };
    }

    /// <summary>A token's text; a token that holds part of a character shows the replacement character (its bytes are exact).</summary>
    public static string TokenText(Tokenizer tokenizer, int id) => tokenizer.Decode([id]);

    static JsonArray Bytes(Tokenizer tokenizer, int id) => new(tokenizer.TokenBytes(id).Select(b => (JsonNode)(int)b).ToArray());
}

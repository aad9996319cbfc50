using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SharpLM.Core;
using SharpLM.Inference;

namespace SharpLM.Serving;

/// <summary>
/// Answers one completion request, streamed (server-sent events) or whole: renders the prompt, queues one job per choice
/// on the model's scheduler (503 with Retry-After when the queue is full), and turns the pieces into OpenAI's chunks. When
/// the client goes away the jobs see <see cref="HttpContext.RequestAborted"/> and free their slots at the next step; when
/// the server stops, a stream ends with an error event.
/// </summary>
public sealed class CompletionHandler(RequestLimits limits)
{
    /// <summary>One finished choice: its text, tokens and stop reason.</summary>
    public sealed record Choice(string Text, List<GeneratedToken> Tokens, StopReason Stop);

    /// <param name="shownModel">The model name the response shows (the arena hides the real one).</param>
    /// <returns>The choices as generated (also when streamed), or null when the client went away.</returns>
    public async Task<IReadOnlyList<Choice>?> Handle(HttpContext ctx, ServedModel model, CompletionRequest request, bool chat,
                                                      string shownModel)
    {
        int[] prompt;
        try
        {
            prompt = chat ? model.ChatPrompt(request.Messages!) : model.TextPrompt(request.Prompt!);
        }
        catch (SharpLmException e)
        {
            throw ApiException.BadRequest(chat ? "messages" : "prompt", e.Message);
        }
        long seed = request.Seed ?? Random.Shared.NextInt64(int.MaxValue);
        var jobs = Enumerable.Range(0, request.N)
            .Select(i => new GenerationJob(prompt,
                request.Options(i, prompt.Length, model.ContextLength, model.StopTokenIds, seed, limits), ctx.RequestAborted))
            .ToList();
        if (!model.Scheduler.TryEnqueue(jobs))
        {
            ctx.Response.Headers.RetryAfter = "1";
            throw new ApiException(503, "the server is busy: every slot is generating and the queue is full; retry shortly",
                                   type: "server_error", code: "overloaded");
        }
        string id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N")[..24];
        long created = OpenAiJson.Now;
        try
        {
            return request.Stream
                ? await Stream(ctx, model, request, chat, shownModel, jobs, id, created, prompt.Length)
                : await Whole(ctx, model, request, chat, shownModel, jobs, id, created, prompt.Length);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            return null; // the client went away; its jobs stop at the next step
        }
    }

    static async Task<Choice> Collect(GenerationJob job, Func<StreamPiece, Task>? onPiece, CancellationToken ct)
    {
        var text = new StringBuilder();
        var tokens = new List<GeneratedToken>();
        await foreach (var piece in job.Pieces.ReadAllAsync(ct))
        {
            text.Append(piece.Text);
            if (piece.Token is not null) tokens.Add(piece.Token);
            if (onPiece is not null) await onPiece(piece);
            if (piece.Stop is { } stop)
            {
                if (stop == StopReason.Cancelled) throw new OperationCanceledException(ct);
                return new Choice(text.ToString(), tokens, stop);
            }
        }
        throw new SharpLmException("the generation ended without a stop reason");
    }

    async Task<IReadOnlyList<Choice>> Whole(HttpContext ctx, ServedModel model, CompletionRequest request, bool chat, string shownModel,
                                            List<GenerationJob> jobs, string id, long created, int promptTokens)
    {
        var choices = await Task.WhenAll(jobs.Select(j => Collect(j, null, ctx.RequestAborted)));
        var list = new JsonArray();
        for (int i = 0; i < choices.Length; i++)
        {
            var c = choices[i];
            var choice = new JsonObject { ["index"] = i };
            if (chat) choice["message"] = new JsonObject { ["role"] = "assistant", ["content"] = c.Text, ["refusal"] = null };
            else choice["text"] = c.Text;
            choice["logprobs"] = !request.LogProbs ? null
                : chat ? OpenAiJson.ChatLogProbs(model.Tokenizer, c.Tokens)
                : OpenAiJson.CompletionLogProbs(model.Tokenizer, c.Tokens, request.Prompt!.Length);
            choice["finish_reason"] = OpenAiJson.FinishReason(c.Stop);
            list.Add(choice);
        }
        var body = new JsonObject
        {
            ["id"] = id,
            ["object"] = chat ? "chat.completion" : "text_completion",
            ["created"] = created,
            ["model"] = shownModel,
            ["choices"] = list,
            ["usage"] = OpenAiJson.Usage(promptTokens, choices.Sum(c => c.Tokens.Count)),
        };
        await Server.WriteJson(ctx, 200, body);
        return choices;
    }

    async Task<IReadOnlyList<Choice>> Stream(HttpContext ctx, ServedModel model, CompletionRequest request, bool chat, string shownModel,
                                             List<GenerationJob> jobs, string id, long created, int promptTokens)
    {
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var gate = new SemaphoreSlim(1);
        var ct = ctx.RequestAborted;

        JsonObject Chunk(JsonArray choices) => new()
        {
            ["id"] = id,
            ["object"] = chat ? "chat.completion.chunk" : "text_completion",
            ["created"] = created,
            ["model"] = shownModel,
            ["choices"] = choices,
        };

        async Task Send(JsonNode data)
        {
            await gate.WaitAsync(ct);
            try
            {
                await response.WriteAsync("data: " + data.ToJsonString() + "\n\n", ct);
                await response.Body.FlushAsync(ct);
            }
            finally
            {
                gate.Release();
            }
        }

        JsonObject ChoiceDelta(int index, string? text, GeneratedToken? token, string? finish, int offset)
        {
            var choice = new JsonObject { ["index"] = index };
            if (chat)
            {
                var delta = new JsonObject();
                if (text is not null) delta["content"] = text;
                choice["delta"] = delta;
            }
            else choice["text"] = text ?? "";
            choice["logprobs"] = !request.LogProbs || token is null ? null
                : chat ? OpenAiJson.ChatLogProbs(model.Tokenizer, [token])
                : OpenAiJson.CompletionLogProbs(model.Tokenizer, [token], offset);
            choice["finish_reason"] = finish;
            return choice;
        }

        await response.StartAsync(ct);
        if (chat)
            for (int i = 0; i < jobs.Count; i++)
                await Send(Chunk([new JsonObject
                {
                    ["index"] = i,
                    ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = "" },
                    ["logprobs"] = null,
                    ["finish_reason"] = null,
                }]));
        try
        {
            var choices = await Task.WhenAll(jobs.Select((job, i) =>
            {
                int offset = request.Prompt?.Length ?? 0;
                return Collect(job, async piece =>
                {
                    string? finish = piece.Stop is { } stop && stop != StopReason.Cancelled ? OpenAiJson.FinishReason(stop) : null;
                    if (piece.Token is not null || piece.Text.Length > 0)
                        await Send(Chunk([ChoiceDelta(i, piece.Text, piece.Token, null, offset)]));
                    offset += piece.Text.Length;
                    if (finish is not null) await Send(Chunk([ChoiceDelta(i, chat ? null : "", null, finish, offset)]));
                }, ct);
            }));
            if (request.IncludeUsage)
            {
                var usage = Chunk([]);
                usage["usage"] = OpenAiJson.Usage(promptTokens, choices.Sum(c => c.Tokens.Count));
                await Send(usage);
            }
            await response.WriteAsync("data: [DONE]\n\n", ct);
            await response.Body.FlushAsync(ct);
            return choices;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The server is stopping (or generation failed): the stream ends with an error event, as OpenAI's does.
            var error = new ApiException(500, e.Message, type: "server_error", code: "generation_stopped");
            await response.WriteAsync("data: " + OpenAiJson.Error(error).ToJsonString() + "\n\n", CancellationToken.None);
            await response.Body.FlushAsync(CancellationToken.None);
            return [];
        }
    }
}

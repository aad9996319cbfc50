using System.ClientModel;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiFinish = Microsoft.Extensions.AI.ChatFinishReason;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace SharpLM.Serving.Tests;

/// <summary>The official OpenAI .NET SDK and Microsoft.Extensions.AI's OpenAI client against a live server on loopback.</summary>
public class OpenAiApiTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    ChatClient Chat => OpenAiClients.Chat(fx.Server.Url, "chat");

    static readonly OpenAI.Chat.ChatMessage[] Hello = [new SystemChatMessage("be brief"), new UserChatMessage("hello, what is 2+2?")];

    [Fact]
    public async Task Non_streamed_and_streamed_answers_agree_and_report_usage_and_finish_reason()
    {
        ChatCompletion whole = await Chat.CompleteChatAsync(Hello, OpenAiClients.Greedy());
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.Equal(12, whole.Usage.OutputTokenCount);
        Assert.True(whole.Usage.InputTokenCount > 10);
        Assert.Equal("chat", whole.Model);
        var text = whole.Content[0].Text;
        Assert.False(string.IsNullOrEmpty(text));

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int updates = 0;
        await foreach (var update in Chat.CompleteChatStreamingAsync(Hello, OpenAiClients.Greedy()))
        {
            updates++;
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        Assert.Equal(text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);                      // the SDK asks for stream_options.include_usage
        Assert.Equal(12, usage.OutputTokenCount);
        Assert.True(updates >= 12, $"{updates} updates: the tokens must stream one by one");
    }

    [Fact]
    public async Task Logprobs_give_each_token_with_its_bytes_and_the_top_alternatives_best_first()
    {
        var options = OpenAiClients.Greedy();
        options.IncludeLogProbabilities = true;
        options.TopLogProbabilityCount = 5;
        ChatCompletion c = await Chat.CompleteChatAsync(Hello, options);
        Assert.Equal(12, c.ContentTokenLogProbabilities.Count);
        var joined = new List<byte>();
        foreach (var t in c.ContentTokenLogProbabilities)
        {
            Assert.Equal(5, t.TopLogProbabilities.Count);
            Assert.Equal(t.TopLogProbabilities[0].Token, t.Token); // greedy: the chosen token is the most likely one
            Assert.Equal(t.TopLogProbabilities[0].LogProbability, t.LogProbability, 1e-4);
            Assert.True(t.LogProbability <= 0);
            for (int i = 1; i < 5; i++) Assert.True(t.TopLogProbabilities[i].LogProbability <= t.TopLogProbabilities[i - 1].LogProbability);
            joined.AddRange(t.Utf8Bytes!.Value.ToArray());
        }
        Assert.Equal(c.Content[0].Text, Encoding.UTF8.GetString(joined.ToArray()));
    }

    [Fact]
    public async Task A_stop_string_cuts_the_answer_before_it_and_finishes_with_stop()
    {
        var text = (await Chat.CompleteChatAsync(Hello, OpenAiClients.Greedy(20))).Value.Content[0].Text;
        var stop = text.Substring(6, 2);
        var options = OpenAiClients.Greedy(20);
        options.StopSequences.Add(stop);
        ChatCompletion c = await Chat.CompleteChatAsync(Hello, options);
        Assert.Equal(ChatFinishReason.Stop, c.FinishReason);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], c.Content.Count == 0 ? "" : c.Content[0].Text);
    }

    [Fact]
    public async Task N_choices_with_a_seed_are_independent_samples_and_each_is_reproducible()
    {
        var body = new JsonObject
        {
            ["model"] = "chat",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello" }),
            ["n"] = 3, ["seed"] = 42, ["max_tokens"] = 16, ["temperature"] = 1.0,
        };
        async Task<string[]> Texts()
        {
            var result = await Chat.CompleteChatAsync(BinaryContent.Create(BinaryData.FromString(body.ToJsonString())));
            var json = JsonNode.Parse(result.GetRawResponse().Content.ToString())!;
            var choices = json["choices"]!.AsArray();
            Assert.Equal([0, 1, 2], choices.Select(c => c!["index"]!.GetValue<int>()));
            Assert.All(choices, c => Assert.Equal("length", c!["finish_reason"]!.GetValue<string>()));
            Assert.Equal(48, json["usage"]!["completion_tokens"]!.GetValue<int>());
            return choices.Select(c => c!["message"]!["content"]!.GetValue<string>()).ToArray();
        }
        var first = await Texts();
        Assert.Equal(3, first.Distinct().Count());
        Assert.Equal(first, await Texts());
    }

    [Fact]
    public async Task Wrong_types_and_out_of_range_values_get_a_400_in_openai_error_shape()
    {
        var bad = await Assert.ThrowsAsync<ClientResultException>(() => Chat.CompleteChatAsync(
            BinaryContent.Create(BinaryData.FromString("""{"messages": "hi", "unknown_field": 1}"""))));
        Assert.Equal(400, bad.Status);
        var error = JsonNode.Parse(bad.GetRawResponse()!.Content.ToString())!["error"]!;
        Assert.Equal("messages", error["param"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());

        var options = OpenAiClients.Greedy();
        options.Temperature = 5;
        var range = await Assert.ThrowsAsync<ClientResultException>(() => Chat.CompleteChatAsync(Hello, options));
        Assert.Equal(400, range.Status);
        Assert.Contains("temperature", range.Message);

        var typed = await Assert.ThrowsAsync<ClientResultException>(() => Chat.CompleteChatAsync(
            BinaryContent.Create(BinaryData.FromString("""{"messages": [{"role": "user", "content": "hi"}], "max_tokens": "ten"}"""))));
        Assert.Equal(400, typed.Status);
        Assert.Contains("max_tokens", typed.Message);
    }

    [Fact]
    public async Task Microsoft_extensions_ai_openai_client_reads_whole_and_streamed_answers()
    {
        IChatClient client = OpenAiClients.Chat(fx.Server.Url, "chat").AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 10 };
        AiChatMessage[] messages = [new(ChatRole.User, "你好，请问长沙是什么？")];
        var whole = await client.GetResponseAsync(messages, options);
        Assert.Equal(AiFinish.Length, whole.FinishReason);
        Assert.Equal(10, whole.Usage!.OutputTokenCount);
        var streamed = new StringBuilder();
        AiFinish? finish = null;
        await foreach (var u in client.GetStreamingResponseAsync(messages, options))
        {
            streamed.Append(u.Text);
            finish ??= u.FinishReason;
        }
        Assert.Equal(whole.Text, streamed.ToString());
        Assert.Equal(AiFinish.Length, finish);
    }

    [Fact]
    public async Task The_in_process_chat_client_gives_the_same_greedy_answer_as_the_server()
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 12, Instructions = "be brief" };
        using IChatClient local = SharpLM.Serving.SharpLmChatClient.Open(fx.Model, parallel: 2);
        var answer = await local.GetResponseAsync([new AiChatMessage(ChatRole.User, "hello, what is 2+2?")], options);
        ChatCompletion remote = await Chat.CompleteChatAsync(Hello, OpenAiClients.Greedy());
        Assert.Equal(remote.Content[0].Text, answer.Text);
        Assert.Equal(AiFinish.Length, answer.FinishReason);
        Assert.Equal(12, answer.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Concurrent_requests_batched_together_give_the_same_answers_as_one_at_a_time()
    {
        string[] questions = ["hello", "what is 2+2?", "你好世界", "a longer question, with more words in it?", "ok", "city"];
        async Task<string> Ask(string q) =>
            (await Chat.CompleteChatAsync([new UserChatMessage(q)], OpenAiClients.Greedy(24))).Value.Content[0].Text;
        var alone = new List<string>();
        foreach (var q in questions) alone.Add(await Ask(q));
        var together = await Task.WhenAll(questions.Select(Ask));
        Assert.Equal(alone, together);
    }

    [Fact]
    public async Task Legacy_completions_stream_and_report_logprobs()
    {
        using var http = OpenAiClients.Http();
        var whole = await http.PostAsync(new Uri(fx.Server.Url, "v1/completions"), Json(
            """{"prompt": "the city", "max_tokens": 6, "temperature": 0, "logprobs": 3}"""));
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        var json = JsonNode.Parse(await whole.Content.ReadAsStringAsync())!;
        var choice = json["choices"]![0]!;
        Assert.Equal("length", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal(6, choice["logprobs"]!["tokens"]!.AsArray().Count);
        Assert.Equal(choice["text"]!.GetValue<string>(), string.Concat(choice["logprobs"]!["tokens"]!.AsArray().Select(t => t!.GetValue<string>())));

        var stream = await http.PostAsync(new Uri(fx.Server.Url, "v1/completions"), Json(
            """{"prompt": "the city", "max_tokens": 6, "temperature": 0, "stream": true}"""));
        var events = (await stream.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var texts = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!).ToList();
        Assert.Equal(choice["text"]!.GetValue<string>(), string.Concat(texts.Select(c => c["text"]!.GetValue<string>())));
        Assert.Equal("length", texts[^1]["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Models_health_and_metrics_answer()
    {
        using var http = OpenAiClients.Http();
        var models = JsonNode.Parse(await http.GetStringAsync(new Uri(fx.Server.Url, "v1/models")))!;
        Assert.Equal("chat", models["data"]![0]!["id"]!.GetValue<string>());
        Assert.Contains("\"ok\"", await http.GetStringAsync(new Uri(fx.Server.Url, "health")));
        await Chat.CompleteChatAsync(Hello, OpenAiClients.Greedy(3));
        var metrics = await http.GetStringAsync(new Uri(fx.Server.Url, "metrics"));
        Assert.Contains("sharplm_requests_total{route=\"/v1/chat/completions\",status=\"200\"}", metrics);
        Assert.Matches(@"sharplm_time_to_first_token_seconds_count [1-9]", metrics);
        Assert.Contains("sharplm_active_slots 0", metrics);
        Assert.Contains("<title>", await http.GetStringAsync(fx.Server.Url));
    }

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}

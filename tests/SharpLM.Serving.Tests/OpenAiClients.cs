using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http;
using OpenAI;
using OpenAI.Chat;

namespace SharpLM.Serving.Tests;

/// <summary>The official OpenAI .NET client pointed at a test server: no retries (a 503 must surface), and an HttpClient that
/// stops reading as soon as a stream is cancelled (the default drains the response for ~2 s).</summary>
static class OpenAiClients
{
    public static HttpClient Http() => new(new SocketsHttpHandler { ResponseDrainTimeout = TimeSpan.Zero });

    public static OpenAIClient Client(Uri url, string key = "no-key") => new(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(url, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        Transport = new HttpClientPipelineTransport(Http()),
        NetworkTimeout = TimeSpan.FromMinutes(5),
    });

    public static ChatClient Chat(Uri url, string model, string key = "no-key") => Client(url, key).GetChatClient(model);

    /// <summary>Greedy, with a fixed budget: the answers are deterministic.</summary>
    public static ChatCompletionOptions Greedy(int maxTokens = 12) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };
}

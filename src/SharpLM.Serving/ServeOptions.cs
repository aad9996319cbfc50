namespace SharpLM.Serving;

/// <summary>What <c>sharplm serve</c> serves and how.</summary>
/// <param name="Models">Run folders (a model folder or a run folder with model/ inside).</param>
/// <param name="Port">0 picks a free port (tests).</param>
/// <param name="ApiKey">When set, every API call needs <c>Authorization: Bearer KEY</c> (the page and /health do not).</param>
/// <param name="Parallel">Slots per model that generate together (continuous batching).</param>
/// <param name="Queue">Requests that may wait for a slot per model; beyond them the API answers 503.</param>
/// <param name="Feedback">The arena's preference file.</param>
/// <param name="Cors">An origin allowed to call the API from a browser; null: no CORS headers.</param>
/// <param name="Precision">Inference precision: auto, fp32, bf16 or fp16.</param>
public sealed record ServeOptions(
    IReadOnlyList<string> Models,
    string Host = "127.0.0.1",
    int Port = 8080,
    string? ApiKey = null,
    int Parallel = 8,
    int Queue = 64,
    string Feedback = "runs/serve/feedback.jsonl",
    string? Cors = null,
    string Precision = "auto",
    RequestLimits? Limits = null)
{
    public RequestLimits LimitsOrDefault => Limits ?? new RequestLimits();

    public ServeOptions Validate()
    {
        if (Models.Count == 0) throw new Core.SharpLmException("--model: give at least one run folder to serve");
        if (Port is < 0 or > 65535) throw new Core.SharpLmException($"--port must be in 0..65535 (got {Port})");
        if (Parallel < 1) throw new Core.SharpLmException($"--parallel must be at least 1 (got {Parallel})");
        if (Queue < 0) throw new Core.SharpLmException($"--queue must be 0 or more (got {Queue})");
        if (ApiKey is { Length: 0 }) throw new Core.SharpLmException("--api-key must not be empty");
        return this;
    }

    /// <summary>True when the host is reachable only from this machine.</summary>
    public bool IsLoopback => Host is "127.0.0.1" or "localhost" or "::1";
}

using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SharpLM.Core;
using SharpLM.Training;

namespace SharpLM.Serving;

/// <summary>
/// <c>sharplm serve</c>: run folders served over HTTP — OpenAI's API (<c>/v1/chat/completions</c>, <c>/v1/completions</c>,
/// <c>/v1/models</c>), <c>/health</c>, Prometheus <c>/metrics</c>, the chat page at <c>/</c> and its own calls under
/// <c>/api/</c> (inspection charts, the arena). Binds 127.0.0.1 unless told otherwise; with an API key every API call needs
/// it (compared in constant time); request bodies are size-limited; no request names a file.
/// </summary>
public sealed class Server : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly IReadOnlyList<ServedModel> _models;

    Server(WebApplication app, IReadOnlyList<ServedModel> models, Uri url, Arena arena)
    {
        (_app, _models, Url, Arena) = (app, models, url, arena);
    }

    public Uri Url { get; }
    public Arena Arena { get; }
    public IReadOnlyList<ServedModel> Models => _models;

    /// <summary>Loads the models (one id each: the run folder's name) and starts listening; returns when ready.</summary>
    public static async Task<Server> StartAsync(ServeOptions options, Action<string>? log = null)
    {
        options.Validate();
        var metrics = new ServingMetrics();
        var models = new List<ServedModel>();
        try
        {
            foreach (var dir in options.Models)
            {
                var loaded = RunFolder.LoadModel(dir);
                string id = ModelId(dir, models.Select(m => m.Id).ToHashSet());
                models.Add(new ServedModel(id, loaded, options.Parallel, options.Queue, metrics, options.Precision));
                log?.Invoke($"loaded {id} from {loaded.Dir} ({loaded.Config.ParameterCount:N0} parameters, " +
                            $"context {loaded.Config.ContextLength}, {models[^1].PrecisionName})");
            }
            return await Listen(options, models, metrics, log);
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
    }

    /// <summary>The folder's name, or its parent's for a model/ folder inside a run (runs/speedrun/ppo/model → ppo).</summary>
    static string ModelId(string dir, IReadOnlySet<string> taken)
    {
        var full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        var name = Path.GetFileName(full);
        if (name is "model" or "best" && Path.GetDirectoryName(full) is { } parent) name = Path.GetFileName(parent);
        var id = name;
        for (int i = 2; taken.Contains(id); i++) id = $"{name}-{i}";
        return id;
    }

    static async Task<Server> Listen(ServeOptions options, List<ServedModel> models, ServingMetrics metrics, Action<string>? log)
    {
        var limits = options.LimitsOrDefault;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "SharpLM.Serving" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = limits.MaxBodyBytes;
            k.Listen(System.Net.IPAddress.Parse(options.Host == "localhost" ? "127.0.0.1" : options.Host), options.Port);
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
        if (options.Cors is not null)
            builder.Services.AddCors(c => c.AddDefaultPolicy(p => p.WithOrigins(options.Cors).AllowAnyHeader().AllowAnyMethod()));
        var app = builder.Build();
        if (options.Cors is not null) app.UseCors();

        var arena = new Arena(models, new FeedbackLog(options.Feedback));
        var handler = new CompletionHandler(limits);
        var keyHash = options.ApiKey is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.ApiKey));

        // Errors in OpenAI's shape, metrics per route, and the key for everything but the page and /health.
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path.Value ?? "/";
            bool api = path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/api/", StringComparison.Ordinal)
                       || path == "/metrics";
            try
            {
                if (api && keyHash is not null && !Authorized(ctx, keyHash))
                    throw new ApiException(401, "a valid API key is required (Authorization: Bearer KEY)", type: "invalid_request_error",
                                           code: "invalid_api_key");
                await next(ctx);
            }
            catch (ApiException e) when (!ctx.Response.HasStarted)
            {
                await WriteJson(ctx, e.Status, OpenAiJson.Error(e));
            }
            catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
            {
                await WriteJson(ctx, e.StatusCode, OpenAiJson.Error(new ApiException(e.StatusCode, e.Message)));
            }
            catch (SharpLmException e) when (!ctx.Response.HasStarted)
            {
                await WriteJson(ctx, 400, OpenAiJson.Error(new ApiException(400, e.Message)));
            }
            finally
            {
                if (api) metrics.Request(Route(path), ctx.Response.StatusCode);
            }
        });

        app.MapGet("/health", () => Results.Json(new { status = "ok", models = models.Select(m => m.Id), auth = keyHash is not null }));
        app.MapGet("/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4"));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = models.Select(m => new { id = m.Id, @object = "model", created = 0, owned_by = "sharplm" }),
        }));
        app.MapPost("/v1/chat/completions", async ctx =>
        {
            var request = CompletionRequest.Parse(await ReadJson(ctx), chat: true, limits);
            var model = Resolve(models, request.Model);
            await handler.Handle(ctx, model, request, chat: true, model.Id);
        });
        app.MapPost("/v1/completions", async ctx =>
        {
            var request = CompletionRequest.Parse(await ReadJson(ctx), chat: false, limits);
            var model = Resolve(models, request.Model);
            await handler.Handle(ctx, model, request, chat: false, model.Id);
        });

        app.MapGet("/api/info", () => Results.Json(new
        {
            models = models.Select(m => new { id = m.Id, layers = m.Layers, heads = m.Heads, context = m.ContextLength,
                                              chat = m.Template is not null }),
            arena = models.Count >= 2 ? "models" : "samples",
            feedback = arena.Log.Path,
        }));
        app.MapPost("/api/inspect/{chart}", async (HttpContext ctx, string chart) =>
        {
            var body = await ReadJson(ctx) as JsonObject ?? throw new ApiException(400, "expected a JSON object");
            var model = Resolve(models, body["model"]?.GetValue<string>());
            var text = body["text"]?.GetValue<string>() is { Length: > 0 } t ? t : throw ApiException.BadRequest("text", "missing");
            if (text.Length > 2000) text = text[^2000..];
            var png = chart switch
            {
                "attention" => await model.AttentionPng(Tail(model, text, 48), Number(body, "layer") ?? model.Layers - 1, Number(body, "head")),
                "next" => await model.NextPng(text, 1.0, 5, 0.9),
                _ => throw new ApiException(404, $"no chart '{chart}' (attention, next)", "chart"),
            };
            return Results.Bytes(png, "image/png");
        });
        app.MapPost("/api/arena", async ctx =>
        {
            var request = CompletionRequest.Parse(await ReadJson(ctx), chat: true, limits);
            var match = arena.Start(request);
            await WriteJson(ctx, 200, new JsonObject { ["id"] = match.Id });
        });
        app.MapPost("/api/arena/{id}/{side}", async (HttpContext ctx, string id, string side) =>
        {
            var match = arena.Get(id);
            int s = Arena.Side(side);
            var choices = await handler.Handle(ctx, match.Models[s], Arena.SideRequest(match, s), chat: true, Arena.ShownName(s));
            if (choices is not null) Arena.Answered(match, s, choices);
        });
        app.MapPost("/api/arena/{id}/vote", async (HttpContext ctx, string id) =>
        {
            var body = await ReadJson(ctx) as JsonObject ?? throw new ApiException(400, "expected a JSON object");
            string? Str(string f) => body[f] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            var note = Str("note");
            if (note is { Length: > 4000 }) throw ApiException.BadRequest("note", "longer than 4000 characters");
            var revealed = arena.Vote(id, Str("verdict") ?? throw ApiException.BadRequest("verdict", "missing"), note, Str("session"));
            await WriteJson(ctx, 200, revealed);
        });

        foreach (var (file, type) in Page.Files)
            app.MapGet(file == "index.html" ? "/" : "/" + file, () => Results.Bytes(Page.Read(file), type));

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStopping.Register(() =>
        {
            foreach (var m in models) m.Scheduler.Stop(new OperationCanceledException("the server is stopping"));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "[::1]"));
        if (!options.IsLoopback && options.ApiKey is null)
            log?.Invoke($"warning: listening on {options.Host} without --api-key: anyone who can reach this port can use the models");
        return new Server(app, models, url, arena);
    }

    static string Route(string path) =>
        path.StartsWith("/api/arena/", StringComparison.Ordinal) ? "/api/arena/{id}"
        : path.StartsWith("/api/inspect/", StringComparison.Ordinal) ? "/api/inspect"
        : path;

    /// <summary>The last <paramref name="tokens"/> tokens' worth of text (an attention chart of more is unreadable).</summary>
    static string Tail(ServedModel model, string text, int tokens)
    {
        var ids = model.Tokenizer.Encode(text);
        return ids.Length <= tokens ? text : model.Tokenizer.Decode(ids.AsSpan(ids.Length - tokens)).TrimStart('\uFFFD');
    }

    static int? Number(JsonObject body, string field) =>
        body[field] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) ? n
        : body[field] is null || body[field]!.GetValueKind() == JsonValueKind.Null ? null
        : throw ApiException.BadRequest(field, "expected an integer");

    static bool Authorized(HttpContext ctx, byte[] keyHash)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, keyHash);
    }

    static ServedModel Resolve(IReadOnlyList<ServedModel> models, string? id)
    {
        if (id is null || (models.Count == 1 && id.Length == 0)) return models[0];
        return models.FirstOrDefault(m => m.Id == id)
            ?? throw new ApiException(404, $"the model '{id}' does not exist (served: {string.Join(", ", models.Select(m => m.Id))})",
                                      "model", code: "model_not_found");
    }

    static async Task<JsonNode?> ReadJson(HttpContext ctx)
    {
        try
        {
            return await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"the body is not valid JSON: {e.Message}");
        }
    }

    internal static async Task WriteJson(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
    }

    /// <summary>Stops listening: in-flight streams end with an error event, queued requests are refused.</summary>
    public async Task StopAsync()
    {
        foreach (var m in _models) m.Scheduler.Stop(new OperationCanceledException("the server is stopping"));
        await _app.StopAsync();
    }

    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        foreach (var m in _models) m.Dispose();
    }
}

/// <summary>The chat page: static files embedded in this assembly (no CDN, no build step).</summary>
static class Page
{
    public static readonly (string File, string Type)[] Files =
    [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
    ];

    public static byte[] Read(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + file)
            ?? throw new SharpLmException($"the page file {file} is missing from the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

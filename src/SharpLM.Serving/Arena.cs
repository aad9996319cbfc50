using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace SharpLM.Serving;

/// <summary>
/// Compare and choose: a match puts two answers to the same conversation side by side — two served models in a random
/// order, or two samples (two seeds) of one model — with the model names hidden until the person votes A, B, tie or both
/// bad. The server keeps the answers it generated (the page cannot forge them) and appends the vote to the
/// <see cref="FeedbackLog"/> in the shape <c>reward train</c> and <c>dpo</c> read.
/// </summary>
public sealed class Arena(IReadOnlyList<ServedModel> models, FeedbackLog log)
{
    const int MaxMatches = 4096; // the oldest unvoted matches are forgotten beyond this

    public sealed class Match(string id, CompletionRequest request, ServedModel[] models, long[] seeds)
    {
        public string Id { get; } = id;
        public CompletionRequest Request { get; } = request;
        public ServedModel[] Models { get; } = models;
        public long[] Seeds { get; } = seeds;
        public string?[] Answers { get; } = new string?[2];
        public bool Voted { get; set; }
        public long Created { get; } = Environment.TickCount64;
    }

    readonly ConcurrentDictionary<string, Match> _matches = new();

    public FeedbackLog Log => log;

    public Match Start(CompletionRequest request)
    {
        var rng = Random.Shared;
        ServedModel[] pair;
        if (models.Count >= 2)
        {
            var order = models.OrderBy(_ => rng.Next()).Take(2).ToArray();
            pair = order;
        }
        else pair = [models[0], models[0]];
        long seed = request.Seed ?? rng.NextInt64(int.MaxValue);
        var match = new Match(Guid.NewGuid().ToString("N"), request with { N = 1, Stream = true, LogProbs = true,
            TopLogProbs = Math.Max(request.TopLogProbs, 5) }, pair, [seed, seed + 1]);
        _matches[match.Id] = match;
        if (_matches.Count > MaxMatches)
            foreach (var old in _matches.Values.OrderBy(m => m.Created).Take(_matches.Count - MaxMatches))
                _matches.TryRemove(old.Id, out _);
        return match;
    }

    public Match Get(string id) =>
        _matches.TryGetValue(id, out var m) ? m : throw new ApiException(404, $"no arena match '{id}'", "id", code: "not_found");

    public static int Side(string side) => side switch
    {
        "a" => 0,
        "b" => 1,
        _ => throw new ApiException(404, $"side must be a or b (got '{side}')", "side"),
    };

    /// <summary>Records a vote; returns the revealed model names.</summary>
    public JsonObject Vote(string id, string verdict, string? note, string? session)
    {
        var match = Get(id);
        if (!FeedbackSummary.VerdictNames.Contains(verdict))
            throw ApiException.BadRequest("verdict", $"must be one of {string.Join(", ", FeedbackSummary.VerdictNames)}");
        if (match.Answers.Any(a => a is null)) throw new ApiException(409, "both answers must be complete before the vote", "id");
        lock (match)
        {
            if (match.Voted) throw new ApiException(409, "this match already has a vote", "id");
            match.Voted = true;
        }
        var s = match.Request.Sampling;
        var record = new JsonObject
        {
            ["prompt"] = new JsonArray(match.Request.Messages!.Select(m => (JsonNode)new JsonObject
                { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
        };
        if (verdict is "a" or "b")
        {
            int chosen = verdict == "a" ? 0 : 1;
            record["chosen"] = match.Answers[chosen];
            record["rejected"] = match.Answers[1 - chosen];
        }
        record["verdict"] = verdict;
        record["answer_a"] = match.Answers[0];
        record["answer_b"] = match.Answers[1];
        record["model_a"] = match.Models[0].Id;
        record["model_b"] = match.Models[1].Id;
        record["model_a_dir"] = match.Models[0].Dir;
        record["model_b_dir"] = match.Models[1].Dir;
        record["sampling"] = new JsonObject
        {
            ["temperature"] = s.Temperature, ["top_k"] = s.TopK, ["top_p"] = s.TopP, ["min_p"] = s.MinP,
            ["repetition_penalty"] = s.RepetitionPenalty, ["max_tokens"] = match.Request.MaxTokens,
            ["seed_a"] = match.Seeds[0], ["seed_b"] = match.Seeds[1],
        };
        record["note"] = string.IsNullOrWhiteSpace(note) ? null : note;
        record["time"] = DateTimeOffset.UtcNow.ToString("O");
        record["session"] = session;
        record["source"] = "sharplm serve arena";
        log.Append(record);
        return new JsonObject { ["verdict"] = verdict, ["model_a"] = match.Models[0].Id, ["model_b"] = match.Models[1].Id };
    }

    /// <summary>The request a side generates with: the match's conversation and settings, that side's seed.</summary>
    public static CompletionRequest SideRequest(Match match, int side) => match.Request with { Seed = match.Seeds[side] };

    public static string ShownName(int side) => side == 0 ? "arena-a" : "arena-b";

    /// <summary>Keeps a finished answer; a side generated twice keeps its latest.</summary>
    public static void Answered(Match match, int side, IReadOnlyList<CompletionHandler.Choice> choices)
    {
        if (choices.Count == 1) match.Answers[side] = choices[0].Text;
    }

}

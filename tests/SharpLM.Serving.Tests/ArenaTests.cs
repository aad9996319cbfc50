using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using SharpLM.Data;
using SharpLM.Tests;

namespace SharpLM.Serving.Tests;

/// <summary>Two models side by side, votes appended to the preference file, and that file read by the training reader.</summary>
public class ArenaTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    static async Task<JsonNode> Post(HttpClient http, Uri url, string path, string json)
    {
        var response = await http.PostAsync(new Uri(url, path), OpenAiApiTests.Json(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Streams one side and returns its text, reassembled from the chunks.</summary>
    static async Task<string> Side(HttpClient http, Uri url, string id, string side)
    {
        var response = await http.PostAsync(new Uri(url, $"api/arena/{id}/{side}"), OpenAiApiTests.Json("{}"));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!).ToList();
        Assert.All(chunks, c => Assert.Equal($"arena-{side}", c["model"]!.GetValue<string>())); // the name stays hidden
        return string.Concat(chunks.Select(c => c["choices"]![0]!["delta"]!["content"]?.GetValue<string>() ?? ""));
    }

    [Fact]
    public async Task Votes_become_preference_records_that_reward_training_reads_and_stats_count()
    {
        var a = TinyServe.SaveModel(_dir["alpha"], seed: 7, context: 128);
        var b = TinyServe.SaveModel(_dir["beta"], seed: 8, context: 128);
        var feedback = _dir["votes/feedback.jsonl"];
        await using var server = await TinyServe.Start([a, b], feedback);
        using var http = OpenAiClients.Http();
        const string Start = """{"messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": "湖南的省会城市是什么？"}], "max_tokens": 8, "temperature": 0.8}""";

        var verdicts = new[] { "a", "tie", "b", "both_bad" };
        var answers = new List<(string A, string B, string ModelA, string ModelB)>();
        foreach (var verdict in verdicts)
        {
            var id = (await Post(http, server.Url, "api/arena", Start))["id"]!.GetValue<string>();
            var early = await http.PostAsync(new Uri(server.Url, $"api/arena/{id}/vote"), OpenAiApiTests.Json("""{"verdict": "a"}"""));
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode); // no vote before both answers are complete
            string textA = await Side(http, server.Url, id, "a"), textB = await Side(http, server.Url, id, "b");
            var revealed = await Post(http, server.Url, $"api/arena/{id}/vote",
                $$"""{"verdict": "{{verdict}}", "note": "测试", "session": "s1"}""");
            answers.Add((textA, textB, revealed["model_a"]!.GetValue<string>(), revealed["model_b"]!.GetValue<string>()));
            Assert.NotEqual(answers[^1].ModelA, answers[^1].ModelB);
            var again = await http.PostAsync(new Uri(server.Url, $"api/arena/{id}/vote"), OpenAiApiTests.Json("""{"verdict": "b"}"""));
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        var lines = File.ReadAllLines(feedback);
        Assert.Equal(4, lines.Length);
        var first = JsonNode.Parse(lines[0])!;
        Assert.Equal(answers[0].A, first["chosen"]!.GetValue<string>());
        Assert.Equal(answers[0].B, first["rejected"]!.GetValue<string>());
        Assert.Equal("测试", first["note"]!.GetValue<string>());
        Assert.Equal(0.8, first["sampling"]!["temperature"]!.GetValue<double>(), 1e-6);
        Assert.Null(JsonNode.Parse(lines[1])!["chosen"]);

        var pairs = PreferenceReader.Read([feedback], out int undecided);
        Assert.Equal(2, pairs.Count);
        Assert.Equal(2, undecided);
        Assert.Equal(answers[2].B, pairs[1].Chosen);
        Assert.Equal(answers[2].A, pairs[1].Rejected);
        Assert.Equal("be kind", pairs[0].Prompt[0].Content);
        Assert.Equal("湖南的省会城市是什么？", pairs[0].Prompt[1].Content);

        var stats = FeedbackSummary.Read(feedback);
        Assert.Equal(4, stats.Votes);
        Assert.Equal(1, stats.Verdicts["tie"]);
        Assert.Equal(2, stats.Models.Count);
        Assert.All(stats.Models, m => Assert.Equal(4, m.Votes));
        Assert.Equal(2, stats.Models.Sum(m => m.Wins));
        Assert.All(stats.Models, m => Assert.Equal((1, 1), (m.Ties, m.BothBad)));

        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, SharpLM.Cli.Program.Main(["feedback", "stats", feedback]));
        }
        finally
        {
            Console.SetOut(console);
        }
        Assert.Contains("4 votes: A 1, B 1, tie 1, both bad 1", output.ToString());
        Assert.Contains("alpha", output.ToString());
    }

    [Fact]
    public async Task With_one_model_the_arena_compares_two_samples_and_a_bad_verdict_is_a_400()
    {
        var a = TinyServe.SaveModel(_dir["solo"], context: 128);
        await using var server = await TinyServe.Start([a], _dir["f.jsonl"]);
        using var http = OpenAiClients.Http();
        var id = (await Post(http, server.Url, "api/arena",
            """{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 12, "temperature": 1}"""))["id"]!.GetValue<string>();
        Assert.NotEqual(await Side(http, server.Url, id, "a"), await Side(http, server.Url, id, "b")); // two seeds
        var bad = await http.PostAsync(new Uri(server.Url, $"api/arena/{id}/vote"), OpenAiApiTests.Json("""{"verdict": "maybe"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var revealed = await Post(http, server.Url, $"api/arena/{id}/vote", """{"verdict": "b"}""");
        Assert.Equal("solo", revealed["model_a"]!.GetValue<string>());
        Assert.Equal("solo", FeedbackSummary.Read(_dir["f.jsonl"]).Models.Single().Model);
    }
}

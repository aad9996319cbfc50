using System.Text.Json;
using SharpLM.Core;
using SharpLM.Data;

namespace SharpLM.Serving;

/// <summary>One model's arena record: votes it took part in against another model, and how they went.</summary>
public sealed record ModelStats(string Model, int Votes, int Wins, int Losses, int Ties, int BothBad, int SelfVotes)
{
    /// <summary>Wins among decisive votes against other models (ties and both-bad excluded); NaN when there were none.</summary>
    public double WinRate => Wins + Losses == 0 ? double.NaN : (double)Wins / (Wins + Losses);
}

/// <summary>Counts of an arena preference file: votes by verdict and per model (for <c>sharplm feedback stats</c>).</summary>
public sealed record FeedbackSummary(int Votes, IReadOnlyDictionary<string, int> Verdicts, IReadOnlyList<ModelStats> Models)
{
    public static readonly string[] VerdictNames = ["a", "b", "tie", "both_bad"];

    /// <summary>Reads the arena's records (other preference records in the file are counted as votes without a verdict).</summary>
    public static FeedbackSummary Read(string path)
    {
        var verdicts = VerdictNames.ToDictionary(v => v, _ => 0);
        var models = new Dictionary<string, int[]>(); // votes, wins, losses, ties, both bad, self
        int votes = 0;
        int[] Row(string m) => models.TryGetValue(m, out var r) ? r : models[m] = new int[6];
        foreach (var record in JsonRecords.Read([path]))
        {
            votes++;
            var o = record.Node;
            string? verdict = o["verdict"]?.GetValueKind() == JsonValueKind.String ? o["verdict"]!.GetValue<string>() : null;
            if (verdict is null) continue;
            if (!verdicts.ContainsKey(verdict))
                throw record.Error("verdict", $"'{verdict}' is not one of {string.Join(", ", VerdictNames)}");
            verdicts[verdict]++;
            string a = Model(record, "model_a"), b = Model(record, "model_b");
            if (a == b) { Row(a)[0]++; Row(a)[5]++; continue; }
            foreach (var (m, won) in new[] { (a, "a"), (b, "b") })
            {
                var row = Row(m);
                row[0]++;
                if (verdict == "tie") row[3]++;
                else if (verdict == "both_bad") row[4]++;
                else if (verdict == won) row[1]++;
                else row[2]++;
            }
        }
        if (votes == 0) throw new SharpLmException($"{path}: no votes found");
        return new FeedbackSummary(votes, verdicts,
            models.Select(kv => new ModelStats(kv.Key, kv.Value[0], kv.Value[1], kv.Value[2], kv.Value[3], kv.Value[4], kv.Value[5]))
                  .OrderByDescending(s => s.WinRate is double.NaN ? -1 : s.WinRate).ThenBy(s => s.Model).ToList());
    }

    static string Model(JsonRecord r, string field) =>
        r.Node[field]?.GetValueKind() == JsonValueKind.String ? r.Node[field]!.GetValue<string>() : throw r.Error(field, "missing");
}

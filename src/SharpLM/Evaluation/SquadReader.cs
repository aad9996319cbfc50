using System.Text.Json;
using SharpLM.Core;

namespace SharpLM.Evaluation;

/// <summary>
/// Reads a SQuAD-layout JSON document (CMRC 2018 ships in it):
/// <c>{"data": [{"paragraphs": [{"context": "…", "qas": [{"question": "…", "answers": [{"text": "…"}]}]}]}]}</c>.
/// Errors name the file, the line of the offending value and its JSON path.
/// </summary>
public static class SquadReader
{
    public static EvalTask.ReadingComprehension Read(string name, string path, string text, int? limit)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw SharpLmException.At(path, (e.LineNumber ?? 0) + 1, null, $"invalid JSON: {e.Message}"); }
        using var _ = doc;
        var items = new List<ReadingItem>();
        var data = Field(doc.RootElement, "data", JsonValueKind.Array, path, "");
        int a = 0;
        foreach (var article in data.EnumerateArray())
        {
            var where = $"data[{a++}]";
            int p = 0;
            foreach (var paragraph in Field(article, "paragraphs", JsonValueKind.Array, path, where).EnumerateArray())
            {
                var pWhere = $"{where}.paragraphs[{p++}]";
                var passage = Field(paragraph, "context", JsonValueKind.String, path, pWhere).GetString()!;
                int q = 0;
                foreach (var qa in Field(paragraph, "qas", JsonValueKind.Array, path, pWhere).EnumerateArray())
                {
                    if (limit is { } n && items.Count >= n) return new EvalTask.ReadingComprehension(name, path, items);
                    var qWhere = $"{pWhere}.qas[{q++}]";
                    var question = Field(qa, "question", JsonValueKind.String, path, qWhere).GetString()!;
                    var answers = Field(qa, "answers", JsonValueKind.Array, path, qWhere).EnumerateArray()
                        .Select((ans, i) => Field(ans, "text", JsonValueKind.String, path, $"{qWhere}.answers[{i}]").GetString()!)
                        .Where(t => t.Trim().Length > 0).Distinct().ToList();
                    if (answers.Count == 0) throw new SharpLmException($"{path}: {qWhere}.answers: no answer text");
                    items.Add(new ReadingItem(passage, question, answers));
                }
            }
        }
        if (items.Count == 0) throw new SharpLmException($"{path}: no questions");
        return new EvalTask.ReadingComprehension(name, path, items);
    }

    static JsonElement Field(JsonElement e, string name, JsonValueKind kind, string path, string where)
    {
        var at = where.Length == 0 ? name : $"{where}.{name}";
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v))
            throw new SharpLmException($"{path}: {at}: missing (expected the SQuAD layout: data[].paragraphs[].qas[])");
        return v.ValueKind == kind ? v : throw new SharpLmException($"{path}: {at}: expected {kind}, found {v.ValueKind}");
    }
}

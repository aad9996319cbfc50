using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// Reads RL prompts: .txt (one prompt per non-empty line) or JSON/JSONL records with a prompt in <c>prompt</c>,
/// <c>question</c> (GSM8K), <c>instruction</c>(+<c>input</c>) or <c>conversations</c>/<c>messages</c>, and an optional
/// reference answer in <c>answer</c>, <c>reference</c>, <c>solution</c> or <c>output</c>. Preference files work too.
/// </summary>
public static class PromptReader
{
    static readonly string[] ReferenceFields = ["answer", "reference", "solution", "output"];

    public static IReadOnlyList<PromptRecord> Read(IEnumerable<string> paths) => ReadSet(paths).Items;

    /// <summary>The prompts, with <paramref name="skipBad"/> skipping (and counting) malformed JSON records instead of stopping.</summary>
    public static RecordSet<PromptRecord> ReadSet(IEnumerable<string> paths, bool skipBad = false)
    {
        var records = new List<PromptRecord>();
        int skipped = 0;
        var reasons = new List<string>();
        var list = paths.Select(Catalogue.DataCache.ResolveInput).ToList();
        foreach (var path in list)
        {
            if (path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) && File.Exists(path))
            {
                long line = 0;
                foreach (var text in File.ReadLines(path))
                {
                    line++;
                    if (text.Trim().Length > 0) records.Add(new PromptRecord([new ChatMessage(ChatMessage.User, text.Trim())], null, $"{path}:{line}"));
                }
            }
            else
            {
                var set = JsonRecords.Parse([path], Parse, skipBad);
                records.AddRange(set.Items);
                skipped += set.Skipped;
                reasons.AddRange(set.SkipReasons);
            }
        }
        var result = new RecordSet<PromptRecord>(records, skipped, reasons);
        if (records.Count == 0) throw new SharpLmException($"{string.Join(", ", list)}: no prompts found{(result.Describe() is { } s ? $" ({s})" : "")}");
        return result;
    }

    public static PromptRecord Parse(JsonRecord r)
    {
        var o = r.Node;
        string? reference = null;
        foreach (var field in ReferenceFields)
            if (o[field] is JsonValue v)
            {
                reference = v.ToString();
                break;
            }
        var prompt = o["question"] is JsonValue q && o["prompt"] is null
            ? [new ChatMessage(ChatMessage.User, q.ToString().Trim().Length > 0 ? q.ToString() : throw r.Error("question", "is empty"))]
            : PreferenceReader.PromptFields(r) ?? throw r.Error("prompt", "missing (expected prompt, question, instruction or conversations)");
        return new PromptRecord(prompt, reference, $"{r.File}:{r.Line}");
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// Reads preference pairs from JSON / JSONL (gzipped or not), recognising per record:
/// <list type="bullet">
/// <item><c>{prompt, chosen, rejected}</c>: prompt a string or message list; chosen/rejected strings or message lists
/// (the last assistant message is the answer; without a prompt field the messages before it are the prompt).</item>
/// <item><c>{conversations: [{from, value}], chosen, rejected}</c> (LLaMA-Factory, MedicalGPT): chosen/rejected a string or one {from, value}.</item>
/// <item><c>{instruction, input, chosen, rejected}</c> (Alpaca-style, e.g. rasbt's preference set): prompt = instruction + input.</item>
/// <item><c>{chosen, rejected}</c> HH-RLHF transcripts ("\n\nHuman: … \n\nAssistant: …"): the shared prefix up to the last
/// common "Assistant:" is the prompt.</item>
/// </list>
/// Votes that prefer neither answer (<c>verdict</c> "tie" or "both_bad", without chosen/rejected, as <c>sharplm serve</c>'s
/// arena writes them) are skipped and counted. Every problem is reported as file:line: field: message.
/// </summary>
public static class PreferenceReader
{
    /// <summary>The <c>verdict</c> values of votes that prefer neither answer; such records carry no chosen/rejected.</summary>
    public static IReadOnlySet<string> UndecidedVerdicts { get; } = new HashSet<string> { "tie", "both_bad" };

    public static IReadOnlyList<PreferencePair> Read(IEnumerable<string> paths) => ReadSet(paths).Items;

    /// <param name="undecided">How many tie / both-bad votes were skipped.</param>
    public static IReadOnlyList<PreferencePair> Read(IEnumerable<string> paths, out int undecided) =>
        ReadSet(paths, false, out undecided).Items;

    /// <summary>The pairs, with <paramref name="skipBad"/> skipping (and counting) malformed records instead of stopping.</summary>
    public static RecordSet<PreferencePair> ReadSet(IEnumerable<string> paths, bool skipBad = false) => ReadSet(paths, skipBad, out _);

    /// <summary>As <see cref="ReadSet(IEnumerable{string}, bool)"/>; tie / both-bad votes are skipped and counted in
    /// <paramref name="undecided"/>.</summary>
    public static RecordSet<PreferencePair> ReadSet(IEnumerable<string> paths, bool skipBad, out int undecided)
    {
        var set = JsonRecords.Parse<PreferencePair?>(paths, r => IsUndecided(r) ? null : Parse(r), skipBad);
        var pairs = set.Items.OfType<PreferencePair>().ToList();
        undecided = set.Items.Count - pairs.Count;
        if (pairs.Count == 0)
            throw new Core.SharpLmException($"{string.Join(", ", paths)}: no preference pairs found" +
                (undecided > 0 ? $" ({undecided} tie or both-bad votes prefer neither answer)" : "") +
                (set.Describe() is { } s ? $" ({s})" : ""));
        return new RecordSet<PreferencePair>(pairs, set.Skipped, set.SkipReasons);
    }

    /// <summary>A vote for neither answer: a verdict of tie or both_bad and no chosen/rejected (a record with both is an error).</summary>
    static bool IsUndecided(JsonRecord r)
    {
        if (r.Node["verdict"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return false;
        if (!UndecidedVerdicts.Contains(v.GetValue<string>())) return false;
        if (r.Node.ContainsKey("chosen") || r.Node.ContainsKey("rejected"))
            throw r.Error("verdict", $"'{v.GetValue<string>()}' prefers neither answer, so the record must not have chosen/rejected");
        return true;
    }

    public static PreferencePair Parse(JsonRecord r)
    {
        var o = r.Node;
        if (!o.ContainsKey("chosen")) throw r.Error("chosen", "missing (a preference record needs chosen and rejected)");
        if (!o.ContainsKey("rejected")) throw r.Error("rejected", "missing (a preference record needs chosen and rejected)");
        string source = $"{r.File}:{r.Line}";

        var prompt = PromptFields(r);

        if (prompt is null && o["chosen"] is JsonValue && o["rejected"] is JsonValue)
            return Transcripts(r, Str(r, o, "chosen"), Str(r, o, "rejected"), source);

        var (chosen, chosenPrefix) = Answer(r, o, "chosen");
        var (rejected, _) = Answer(r, o, "rejected");
        prompt ??= chosenPrefix is { Count: > 0 } ? CheckPrompt(r, chosenPrefix)
            : throw r.Error("prompt", "missing (expected prompt, conversations, instruction, message lists or HH-RLHF transcripts)");
        return new PreferencePair(prompt, chosen, rejected, source);
    }

    /// <summary>The prompt from a prompt, conversations or instruction(+input) field, checked; null when there is none.</summary>
    internal static IReadOnlyList<ChatMessage>? PromptFields(JsonRecord r)
    {
        var o = r.Node;
        IReadOnlyList<ChatMessage>? prompt = null;
        if (o.ContainsKey("prompt")) prompt = o["prompt"] is JsonArray a ? Messages(r, a, "prompt") : [User(r, Str(r, o, "prompt"))];
        else if (o.ContainsKey("conversations")) prompt = Messages(r, o["conversations"] as JsonArray ?? throw r.Error("conversations", "expected a list of messages"), "conversations");
        else if (o.ContainsKey("instruction"))
        {
            var input = o["input"] is null ? "" : Str(r, o, "input");
            prompt = [User(r, input.Length == 0 ? Str(r, o, "instruction") : Str(r, o, "instruction") + "\n\n" + input)];
        }
        return prompt is null ? null : CheckPrompt(r, prompt);
    }

    static ChatMessage User(JsonRecord r, string text) =>
        text.Length == 0 ? throw r.Error("prompt", "is empty") : new ChatMessage(ChatMessage.User, text);

    static string Str(JsonRecord r, JsonObject o, string field)
    {
        try
        {
            return o[field]?.GetValue<string>() ?? throw r.Error(field, "is null");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw r.Error(field, $"expected a string, found {o[field]!.GetValueKind()}");
        }
    }

    /// <summary>The answer text and, when given as a message list, the messages before it.</summary>
    static (string Text, IReadOnlyList<ChatMessage>? Prefix) Answer(JsonRecord r, JsonObject o, string field)
    {
        switch (o[field])
        {
            case JsonValue:
                var text = Str(r, o, field);
                return text.Trim().Length == 0 ? throw r.Error(field, "is empty") : (text, null);
            case JsonObject m:
                var one = Message(r, m, field);
                return one.Role == ChatMessage.Assistant ? (one.Content, null) : throw r.Error(field, $"role is '{one.Role}', expected an assistant answer");
            case JsonArray list:
                var messages = Messages(r, list, field);
                if (messages.Count == 0 || messages[^1].Role != ChatMessage.Assistant)
                    throw r.Error(field, "a message list must end with the assistant answer");
                return (messages[^1].Content, messages.Take(messages.Count - 1).ToList());
            default:
                throw r.Error(field, "expected a string, a message or a message list");
        }
    }

    static List<ChatMessage> Messages(JsonRecord r, JsonArray list, string field) =>
        list.Select((n, i) => Message(r, n as JsonObject ?? throw r.Error($"{field}[{i}]", "expected a message object"), $"{field}[{i}]"))
            .Aggregate(new List<ChatMessage>(), Merge);

    /// <summary>{role, content} (OpenAI) or {from, value} (ShareGPT).</summary>
    static ChatMessage Message(JsonRecord r, JsonObject m, string field)
    {
        string? role = (m["role"] ?? m["from"]) is JsonValue rv && rv.GetValueKind() == JsonValueKind.String ? rv.GetValue<string>() : null;
        string? content = (m["content"] ?? m["value"]) is JsonValue cv && cv.GetValueKind() == JsonValueKind.String ? cv.GetValue<string>() : null;
        if (role is null) throw r.Error(field, "message needs a string 'role' (or 'from')");
        if (content is null) throw r.Error(field, "message needs a string 'content' (or 'value')");
        return new ChatMessage(role.ToLowerInvariant() switch
        {
            "user" or "human" => ChatMessage.User,
            "assistant" or "gpt" or "bot" or "model" => ChatMessage.Assistant,
            "system" => ChatMessage.System,
            _ => throw r.Error(field, $"unknown role '{role}' (expected system, user/human or assistant/gpt)"),
        }, content);
    }

    /// <summary>Consecutive messages of one role become one (HH-RLHF and scraped data sometimes repeat a speaker).</summary>
    static List<ChatMessage> Merge(List<ChatMessage> acc, ChatMessage m)
    {
        if (acc.Count > 0 && acc[^1].Role == m.Role) acc[^1] = m with { Content = acc[^1].Content + "\n\n" + m.Content };
        else acc.Add(m);
        return acc;
    }

    static IReadOnlyList<ChatMessage> CheckPrompt(JsonRecord r, IReadOnlyList<ChatMessage> prompt)
    {
        int i = prompt.Count > 0 && prompt[0].Role == ChatMessage.System ? 1 : 0;
        if (prompt.Count == i) throw r.Error("prompt", "has no user message");
        for (int turn = 0; i < prompt.Count; i++, turn++)
        {
            var expected = turn % 2 == 0 ? ChatMessage.User : ChatMessage.Assistant;
            if (prompt[i].Role != expected) throw r.Error("prompt", $"message {i + 1} is '{prompt[i].Role}' where '{expected}' was expected");
        }
        return prompt[^1].Role == ChatMessage.User ? prompt : throw r.Error("prompt", "must end with a user message");
    }

    const string HumanTag = "\n\nHuman:", AssistantTag = "\n\nAssistant:";

    static PreferencePair Transcripts(JsonRecord r, string chosen, string rejected, string source)
    {
        if (!chosen.StartsWith(HumanTag, StringComparison.Ordinal))
            throw r.Error("chosen", "expected an HH-RLHF transcript starting with \"\\n\\nHuman:\" (or add a prompt field)");
        int common = 0;
        while (common < chosen.Length && common < rejected.Length && chosen[common] == rejected[common]) common++;
        int cut = chosen.LastIndexOf(AssistantTag, Math.Max(0, common - 1), StringComparison.Ordinal);
        if (cut < 0 || cut + AssistantTag.Length > common)
            throw r.Error("rejected", "chosen and rejected share no prompt ending in \"\\n\\nAssistant:\"");
        var prompt = ParseTranscript(r, chosen[..cut]);
        // An empty answer stays: in the harmless split "say nothing" is sometimes the preferred answer (the end token carries it).
        string Reply(string s) => s[(cut + AssistantTag.Length)..].Trim();
        return new PreferencePair(CheckPrompt(r, prompt), Reply(chosen), Reply(rejected), source);
    }

    static List<ChatMessage> ParseTranscript(JsonRecord r, string text)
    {
        var messages = new List<ChatMessage>();
        int at = 0;
        while (at < text.Length)
        {
            bool human = text.AsSpan(at).StartsWith(HumanTag, StringComparison.Ordinal);
            bool assistant = !human && text.AsSpan(at).StartsWith(AssistantTag, StringComparison.Ordinal);
            if (!human && !assistant) throw r.Error("chosen", $"transcript text at offset {at} is not in a Human: or Assistant: turn");
            int start = at + (human ? HumanTag.Length : AssistantTag.Length);
            int nextH = text.IndexOf(HumanTag, start, StringComparison.Ordinal), nextA = text.IndexOf(AssistantTag, start, StringComparison.Ordinal);
            int end = new[] { nextH, nextA, text.Length }.Where(x => x >= 0).Min();
            Merge(messages, new ChatMessage(human ? ChatMessage.User : ChatMessage.Assistant, text[start..end].Trim()));
            at = end;
        }
        return messages;
    }
}

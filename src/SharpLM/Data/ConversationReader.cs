using System.Text;
using System.Text.Json;
using SharpLM.Core;
using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// Reads instruction data into conversations. The file is JSONL (one record a line) or one JSON array, optionally .gz; each
/// record's fields decide its format:
/// <list type="bullet">
/// <item>OpenAI messages: <c>{"messages":[{"role","content"}...]}</c> (multi-turn; ShareGPT <c>conversations/from/value</c> too)</item>
/// <item>Alpaca: <c>instruction, input, output</c>, with OpenAssistant-style <c>history: [[user, assistant]...]</c> as earlier turns</item>
/// <item>Self-Instruct seed tasks: <c>instruction, instances:[{input, output}]</c> (one conversation per instance)</item>
/// <item>Dolly: <c>instruction, context, response</c></item>
/// <item>prompt/completion or prompt/response (an Alpaca "### Instruction:" prompt template is unwrapped)</item>
/// <item>GSM8K: <c>question, answer</c></item>
/// </list>
/// A malformed record is an error naming file, line and field, or with <c>skipBad</c> it is skipped and counted.
/// </summary>
public static class ConversationReader
{
    const int KeptReasons = 5;

    public static ConversationSet ReadAll(IEnumerable<string> paths, bool skipBad = false)
    {
        var all = new List<Conversation>();
        var reasons = new List<string>();
        int skipped = 0;
        foreach (var path in paths)
        {
            var set = Read(path, skipBad);
            all.AddRange(set.Conversations);
            skipped += set.Skipped;
            reasons.AddRange(set.SkipReasons.Take(KeptReasons - reasons.Count));
        }
        return new ConversationSet(all, skipped, reasons);
    }

    /// <param name="path">A file, or a dataset name (see <see cref="Catalogue.DataCache.ResolveInput"/>).</param>
    public static ConversationSet Read(string path, bool skipBad = false)
    {
        path = Catalogue.DataCache.ResolveInput(path);
        var records = Records(path);
        var conversations = new List<Conversation>();
        var reasons = new List<string>();
        int skipped = 0;
        foreach (var (line, parse) in records)
        {
            try
            {
                conversations.AddRange(parse());
            }
            catch (SharpLmException e) when (skipBad)
            {
                skipped++;
                if (reasons.Count < KeptReasons) reasons.Add(e.Message);
            }
        }
        if (conversations.Count == 0 && skipped == 0) throw new SharpLmException($"{path}: no records");
        return new ConversationSet(conversations, skipped, reasons);
    }

    /// <summary>Each record's line and a deferred parse, so a bad record can be skipped without losing the rest.</summary>
    static IEnumerable<(long Line, Func<IEnumerable<Conversation>> Parse)> Records(string path)
    {
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found");
        var text = CorpusReader.ReadText(path);
        if (text.TrimStart().StartsWith('['))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw SharpLmException.At(path, e.LineNumber + 1, null, $"invalid JSON: {e.Message}"); }
            var lines = ElementLines(text);
            int i = 0;
            foreach (var element in doc.RootElement.EnumerateArray())
            {
                var line = lines[i++];
                var e = element;
                yield return (line, () => Parse(e, path, line));
            }
            yield break;
        }
        long n = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = ++n;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            yield return (line, () =>
            {
                JsonDocument doc;
                try { doc = JsonDocument.Parse(raw); }
                catch (JsonException e) { throw SharpLmException.At(path, line, null, $"invalid JSON: {e.Message}"); }
                using (doc) return Parse(doc.RootElement, path, line); // Parse copies what it keeps
            });
        }
    }

    /// <summary>1-based line on which each element of a top-level JSON array starts.</summary>
    static List<long> ElementLines(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes);
        var starts = new List<long>();
        reader.Read(); // [
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            starts.Add(reader.TokenStartIndex);
            reader.Skip();
        }
        var lines = new List<long>(starts.Count);
        long line = 1;
        int pos = 0;
        foreach (var start in starts)
        {
            for (; pos < start; pos++) if (bytes[pos] == '\n') line++;
            lines.Add(line);
        }
        return lines;
    }

    static IEnumerable<Conversation> Parse(JsonElement r, string file, long line)
    {
        if (r.ValueKind != JsonValueKind.Object) throw SharpLmException.At(file, line, null, "expected a JSON object");
        var source = $"{file}:{line}";
        bool Has(string name) => r.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;
        string Str(JsonElement o, string name)
        {
            if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
                throw SharpLmException.At(file, line, name, "missing");
            if (v.ValueKind != JsonValueKind.String) throw SharpLmException.At(file, line, name, $"expected a string, found {v.ValueKind}");
            return v.GetString()!;
        }
        string Optional(string name) => Has(name) ? Str(r, name) : "";
        string NonEmpty(JsonElement o, string name)
        {
            var s = Str(o, name);
            if (string.IsNullOrWhiteSpace(s)) throw SharpLmException.At(file, line, name, "empty");
            return s;
        }
        static string Join(string instruction, string input) =>
            string.IsNullOrWhiteSpace(input) ? instruction : $"{instruction}\n\n{input}";
        Conversation One(params ChatMessage[] messages) => new(messages, source);

        if (Has("messages") || Has("conversations"))
            return [new Conversation(Messages(r, Has("messages") ? "messages" : "conversations", file, line), source)];
        if (Has("instruction") && Has("instances"))
        {
            var instruction = NonEmpty(r, "instruction");
            var instances = r.GetProperty("instances");
            if (instances.ValueKind != JsonValueKind.Array || instances.GetArrayLength() == 0)
                throw SharpLmException.At(file, line, "instances", "expected a non-empty array");
            return instances.EnumerateArray()
                .Select(inst => One(new(ChatMessage.User, Join(instruction, Str(inst, "input"))),
                    new(ChatMessage.Assistant, NonEmpty(inst, "output"))))
                .ToList();
        }
        if (Has("instruction") && (Has("output") || Has("response")))
        {
            var messages = Has("history") ? History(r, file, line) : [];
            var context = Has("input") ? Optional("input") : Optional("context");
            messages.Add(new(ChatMessage.User, Join(NonEmpty(r, "instruction"), context)));
            messages.Add(new(ChatMessage.Assistant, NonEmpty(r, Has("output") ? "output" : "response")));
            return [new Conversation(messages, source)];
        }
        if (Has("prompt") && (Has("completion") || Has("response")))
            return [One(new(ChatMessage.User, UnwrapAlpacaPrompt(NonEmpty(r, "prompt"))),
                new(ChatMessage.Assistant, NonEmpty(r, Has("completion") ? "completion" : "response")))];
        if (Has("question") && Has("answer"))
            return [One(new(ChatMessage.User, NonEmpty(r, "question")), new(ChatMessage.Assistant, NonEmpty(r, "answer")))];
        var fields = string.Join(", ", r.EnumerateObject().Select(p => p.Name));
        throw SharpLmException.At(file, line, null,
            $"unknown record format (fields: {fields}); expected messages, instruction+output, instruction+response, " +
            "instruction+instances, prompt+completion, prompt+response or question+answer");
    }

    static List<ChatMessage> Messages(JsonElement r, string field, string file, long line)
    {
        var array = r.GetProperty(field);
        if (array.ValueKind != JsonValueKind.Array) throw SharpLmException.At(file, line, field, "expected an array");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var m in array.EnumerateArray())
        {
            var where = $"{field}[{i++}]";
            bool openAi = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out _);
            string Field(string name) =>
                m.ValueKind == JsonValueKind.Object && m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                    ? v.GetString()!
                    : throw SharpLmException.At(file, line, $"{where}.{name}", "missing or not a string");
            var role = (openAi ? Field("role") : Field("from")) switch
            {
                "system" => ChatMessage.System,
                "user" or "human" => ChatMessage.User,
                "assistant" or "gpt" => ChatMessage.Assistant,
                var other => throw SharpLmException.At(file, line, $"{where}.role", $"unknown role '{other}' (expected system, user or assistant)"),
            };
            messages.Add(new ChatMessage(role, openAi ? Field("content") : Field("value")));
        }
        if (messages.Count == 0) throw SharpLmException.At(file, line, field, "empty conversation");
        try { ChatTemplate.Check(messages, forGeneration: false); }
        catch (SharpLmException e) { throw SharpLmException.At(file, line, field, e.Message); }
        return messages;
    }

    static List<ChatMessage> History(JsonElement r, string file, long line)
    {
        var history = r.GetProperty("history");
        if (history.ValueKind != JsonValueKind.Array) throw SharpLmException.At(file, line, "history", "expected an array of [user, assistant] pairs");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var pair in history.EnumerateArray())
        {
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 ||
                pair[0].ValueKind != JsonValueKind.String || pair[1].ValueKind != JsonValueKind.String)
                throw SharpLmException.At(file, line, $"history[{i}]", "expected [user, assistant] strings");
            messages.Add(new(ChatMessage.User, pair[0].GetString()!));
            messages.Add(new(ChatMessage.Assistant, pair[1].GetString()!));
            i++;
        }
        return messages;
    }

    /// <summary>Dolly/HH prompts arrive pre-templated ("...### Instruction:\nX\n\n### Response:\n"); the chat template replaces that.</summary>
    static string UnwrapAlpacaPrompt(string prompt)
    {
        const string Open = "### Instruction:\n", Close = "### Response:";
        int a = prompt.IndexOf(Open, StringComparison.Ordinal), b = prompt.LastIndexOf(Close, StringComparison.Ordinal);
        return a >= 0 && b > a ? prompt[(a + Open.Length)..b].Trim() : prompt;
    }
}

using System.Text.Json;
using SharpLM.Core;
using SharpLM.Data;
using SharpLM.Data.Catalogue;

namespace SharpLM.Evaluation;

/// <summary>
/// Finds and reads evaluation tasks. A task is a file, or a name of one of the public sets, found in the data cache
/// (<c>sharplm data download</c>, $SHARPLM_DATA) or a shared/data folder above the working folder. Record formats, recognised by their fields:
/// <list type="bullet">
/// <item><c>query, choices, gold</c> (ARC, COPA, OpenBookQA, CommonsenseQA, BoolQ; MosaicML gauntlet layout)</item>
/// <item><c>ctx, endings, label</c> (HellaSwag)</item>
/// <item><c>question, choices, answer</c> letter (MMLU: scored on the answer letter after the listed choices)</item>
/// <item><c>context_options, continuation, gold</c> (WinoGrande: the continuation scored after each context)</item>
/// <item><c>question, answer</c> (generative, e.g. GSM8K with "#### N")</item>
/// <item><c>context, continuation</c> (LAMBADA: the continuation is the passage's last word)</item>
/// </list>
/// A SQuAD-layout JSON document (<c>{"data": [{"paragraphs": [{"context", "qas": [{"question", "answers"}]}]}]}</c>, e.g.
/// CMRC 2018) is a reading-comprehension task. A .txt file is a text task (loss and bits per byte).
/// </summary>
public static class EvalTaskReader
{
    /// <summary>Known task names and their files under shared/data.</summary>
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
        ["arc_easy"] = "eval/en/arc_easy.jsonl",
        ["hellaswag"] = "eval/en/hellaswag_val_first1000.jsonl",
        ["copa"] = "eval/en/copa.jsonl",
        ["winogrande"] = "eval/en/winogrande.jsonl",
        ["openbook_qa"] = "eval/en/openbook_qa.jsonl",
        ["commonsense_qa"] = "eval/en/commonsense_qa.jsonl",
        ["boolq"] = "eval/en/boolq.jsonl.gz",
        ["mmlu"] = "eval/en/mmlu_val.jsonl",
        ["mmlu_dev"] = "eval/en/mmlu_dev.jsonl",
        ["gsm8k"] = "eval/en/gsm8k_test_1319.jsonl",
        ["lambada"] = "eval/en/lambada_openai.jsonl",
        ["cmrc2018"] = "eval/zh/cmrc2018_trial_squad_1002q.json",
    };

    /// <summary>Reads a task by name or path; <paramref name="limit"/> keeps the first N items.</summary>
    public static EvalTask Read(string nameOrPath, int? limit = null)
    {
        var path = Resolve(nameOrPath);
        var name = Known.ContainsKey(nameOrPath) ? nameOrPath : Path.GetFileName(path).Split('.')[0];
        var text = CorpusReader.ReadText(path);
        if (path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".txt.gz", StringComparison.OrdinalIgnoreCase))
        {
            if (text.Trim().Length == 0) throw new SharpLmException($"{path}: empty text file");
            return new EvalTask.Text(name, path, text);
        }
        if (IsJsonDocument(text)) return SquadReader.Read(name, path, text, limit);
        var mc = new List<MultipleChoiceItem>();
        var gen = new List<GenerativeItem>();
        var lastWord = new List<LastWordItem>();
        long line = 0;
        foreach (var raw in text.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            if (limit is { } n && mc.Count + gen.Count + lastWord.Count >= n) break;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(raw); }
            catch (JsonException e) { throw SharpLmException.At(path, line, null, $"invalid JSON: {e.Message}"); }
            using var _ = doc;
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw SharpLmException.At(path, line, null, "expected a JSON object");
            var record = new Record(r, path, line);
            if (record.Has("question") && record.Has("answer") && !record.Has("choices")) gen.Add(new GenerativeItem(record.Str("question"), record.Str("answer")));
            else if (record.Has("context") && record.Has("continuation") && !record.Has("context_options")) lastWord.Add(LastWord(record));
            else mc.Add(MultipleChoice(record));
            if (new[] { mc.Count, gen.Count, lastWord.Count }.Count(c => c > 0) > 1)
                throw SharpLmException.At(path, line, null, "mixes records of different tasks (multiple-choice, generative, last-word)");
        }
        if (mc.Count + gen.Count + lastWord.Count == 0) throw new SharpLmException($"{path}: no records");
        if (lastWord.Count > 0) return new EvalTask.LastWord(name, path, lastWord);
        return gen.Count > 0 ? new EvalTask.Generative(name, path, gen) : new EvalTask.MultipleChoice(name, path, mc);
    }

    /// <summary>One JSON document rather than JSON lines: its first line alone is not a complete JSON value.</summary>
    static bool IsJsonDocument(string text)
    {
        var trimmed = text.TrimStart();
        if (!trimmed.StartsWith('{')) return false;
        int end = trimmed.IndexOf('\n');
        try
        {
            using var _ = JsonDocument.Parse(end < 0 ? trimmed : trimmed[..end]);
            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    /// <summary>LAMBADA: the passage and its last word, which gets the space that separates it when the file leaves it out.</summary>
    static LastWordItem LastWord(Record r)
    {
        var (context, word) = (r.Str("context"), r.Str("continuation"));
        if (word.Trim().Length == 0) throw SharpLmException.At(r.File, r.Line, "continuation", "is empty");
        bool joined = context.Length == 0 || char.IsWhiteSpace(context[^1]) || char.IsWhiteSpace(word[0]);
        return new LastWordItem(context, joined ? word : " " + word);
    }

    static MultipleChoiceItem MultipleChoice(Record r)
    {
        if (r.Has("query") && r.Has("choices"))
        {
            var query = r.Str("query");
            // ARC in the gauntlet layout is "Question: ..." without the answer cue the other tasks end with.
            if (query.StartsWith("Question:", StringComparison.Ordinal) && !query.TrimEnd().EndsWith("Answer:", StringComparison.Ordinal))
                query += "\nAnswer:";
            return Item(r, r.Strings("choices").Select(c => (query, " " + c)).ToList(), r.Int("gold"));
        }
        if (r.Has("ctx") && r.Has("endings"))
            return Item(r, r.Strings("endings").Select(e => (r.Str("ctx"), " " + e)).ToList(), r.Int("label"));
        if (r.Has("question") && r.Has("choices") && r.Has("answer"))
        {
            var choices = r.Strings("choices");
            var letters = choices.Select((_, i) => ((char)('A' + i)).ToString()).ToList();
            var context = $"Question: {r.Str("question")}\n" + string.Concat(choices.Select((c, i) => $"{letters[i]}. {c}\n")) + "Answer:";
            int gold = letters.IndexOf(r.Str("answer").Trim());
            if (gold < 0) throw SharpLmException.At(r.File, r.Line, "answer", $"expected one of {string.Join(", ", letters)}");
            return Item(r, letters.Select(l => (context, " " + l)).ToList(), gold);
        }
        if (r.Has("context_options") && r.Has("continuation"))
            return Item(r, r.Strings("context_options").Select(c => (c, " " + r.Str("continuation"))).ToList(), r.Int("gold"));
        throw SharpLmException.At(r.File, r.Line, null,
            $"unknown task record (fields: {r.Fields}); expected query+choices+gold, ctx+endings+label, question+choices+answer, " +
            "context_options+continuation+gold or question+answer");
    }

    static MultipleChoiceItem Item(Record r, List<(string, string)> options, int gold)
    {
        if (options.Count < 2) throw SharpLmException.At(r.File, r.Line, "choices", "needs at least two choices");
        if (gold < 0 || gold >= options.Count) throw SharpLmException.At(r.File, r.Line, "gold", $"{gold} is not a choice index (0..{options.Count - 1})");
        return new MultipleChoiceItem(options, gold);
    }

    /// <summary>A path as given, or a known task name found in the data cache or a shared/data folder (see <see cref="DataCache"/>).</summary>
    public static string Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath)) return nameOrPath;
        if (!Known.TryGetValue(nameOrPath, out var relative))
            throw new SharpLmException($"{nameOrPath}: no such file, and not a known task ({string.Join(", ", Known.Keys)})");
        var download = DatasetCatalogue.TryFind(nameOrPath);
        string[] paths = [relative, .. download?.Paths ?? []];
        return DataCache.Find(paths) ?? throw new SharpLmException(download is null
            ? $"task {nameOrPath}: {relative} not found in {DataCache.Default()} or a shared/data folder; set {DataCache.Variable} or pass the file"
            : $"task {nameOrPath}: not downloaded yet; run `sharplm data download {download.Name}` (cache: {DataCache.Default()})");
    }

    /// <summary>Field access that reports file, line and field on a missing or mistyped value.</summary>
    sealed record Record(JsonElement E, string File, long Line)
    {
        public string Fields => string.Join(", ", E.EnumerateObject().Select(p => p.Name));
        public bool Has(string name) => E.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

        JsonElement Get(string name, JsonValueKind kind)
        {
            if (!E.TryGetProperty(name, out var v)) throw SharpLmException.At(File, Line, name, "missing");
            if (v.ValueKind != kind) throw SharpLmException.At(File, Line, name, $"expected {kind}, found {v.ValueKind}");
            return v;
        }

        public string Str(string name) => Get(name, JsonValueKind.String).GetString()!;
        public int Int(string name) => Get(name, JsonValueKind.Number).TryGetInt32(out var i) ? i : throw SharpLmException.At(File, Line, name, "expected an integer");
        public List<string> Strings(string name) => Get(name, JsonValueKind.Array).EnumerateArray()
            .Select((v, i) => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw SharpLmException.At(File, Line, $"{name}[{i}]", "expected a string"))
            .ToList();
    }
}

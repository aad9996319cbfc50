using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Interop;

/// <summary>What <c>sharplm import hf</c> takes: a Hugging Face model folder and the run folder to write.</summary>
public sealed record HfImportOptions(string Dir, string Out);

/// <summary>What was imported; <paramref name="AddedSpecials"/> lists SharpLM's chat tokens the model lacked (new rows).</summary>
public sealed record HfImportResult(string Out, string Architecture, GptConfig Config, IReadOnlyList<string> AddedSpecials,
    bool ChatTemplate);

/// <summary>
/// Turns a Llama-, Qwen3- or Arcee-layout safetensors folder (one file, or shards listed in model.safetensors.index.json)
/// with a byte-level BPE tokenizer.json into a SharpLM run folder (<c>OUT/model/</c>), which every later verb reads as
/// its own. transformers' rotary encoding is ours (rotate-half), so weights are copied as they are; SharpLM's chat
/// tokens are added as new rows (the mean embedding) when the tokenizer lacks them, so SFT can teach them. Every
/// problem is found before anything is written and named by file and field.
/// </summary>
public static class HfImporter
{
    public const string IndexFile = "model.safetensors.index.json";

    public static HfImportResult Import(HfImportOptions o, IProgress<ProgressUpdate>? progress = null)
    {
        if (!Directory.Exists(o.Dir)) throw new SharpLmException($"{o.Dir}: folder not found (expected a Hugging Face model folder)");
        var configPath = Path.Combine(o.Dir, HfExporter.ConfigFile);
        var (config, architecture) = ReadConfig(configPath);
        var tokenizer = HfTokenizerJson.Read(Path.Combine(o.Dir, HfTokenizerJson.FileName));
        var entries = WeightEntries(o.Dir);

        var (finalTokenizer, added) = WithChatTokens(tokenizer);
        var fitted = config with { VocabSize = finalTokenizer.VocabSize };
        using var model = new Gpt(fitted);
        var parameters = model.named_parameters().ToList();
        // Every tensor is checked (present, shape from config.json, nothing left over) before any weight is read.
        foreach (var (name, p) in parameters)
        {
            long[] shape = IsVocabulary(name) ? [config.VocabSize, p.shape[1]] : p.shape;
            if (!entries.TryGetValue(name, out var e))
                throw SharpLmException.At(entries.Values.FirstOrDefault()?.File ?? o.Dir, null, name, "tensor missing");
            if (!e.Shape.SequenceEqual(shape))
                throw SharpLmException.At(e.File, null, name,
                    $"shape [{string.Join(", ", e.Shape)}] where config.json implies [{string.Join(", ", shape)}]");
        }
        var used = parameters.Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        var unused = entries.Keys.Where(k => !used.Contains(k) && !k.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)).ToList();
        if (unused.Count > 0)
            throw SharpLmException.At(entries[unused[0]].File, null, unused[0],
                $"tensor not used by the {architecture.HfClass} layout (attention/MLP biases and other extras are not supported)");
        // One tensor at a time, so a large model needs its own size in memory plus one tensor, not twice its size.
        long total = parameters.Sum(p => entries[p.name].End - entries[p.name].Begin), done = 0;
        using (no_grad())
            foreach (var (name, p) in parameters)
            {
                using var scope = NewDisposeScope();
                var e = entries[name];
                var t = SafetensorsFile.ReadF32(e);
                p.copy_(IsVocabulary(name) ? FitRows(t, fitted.VocabSize) : t);
                done += e.End - e.Begin;
                progress?.Report(new ProgressUpdate("import hf", done, total, "bytes", name));
            }
        bool chat = added.Count == 0 && File.Exists(Path.Combine(o.Dir, HfExporter.TokenizerConfigFile))
                    && JsonNode.Parse(File.ReadAllText(Path.Combine(o.Dir, HfExporter.TokenizerConfigFile)))?["chat_template"] is not null;
        Checkpoint.Save(new RunFolder(o.Out).ModelDir, model, finalTokenizer, "import", tmp =>
        {
            if (chat) new ChatTemplate(finalTokenizer).Save(tmp);
        });
        return new HfImportResult(o.Out, architecture.HfClass, fitted, added, chat);
    }

    /// <summary>config.json → our configuration; refuses what our model cannot run, naming the field.</summary>
    static (GptConfig, ExportArchitecture) ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found");
        JsonObject c;
        try
        {
            c = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw SharpLmException.At(path, null, null, "empty file");
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(path, e.LineNumber + 1, null, $"invalid JSON: {e.Message}");
        }
        T Get<T>(string field, T? fallback = default)
        {
            try
            {
                return c[field] is { } n ? n.GetValue<T>()
                    : fallback ?? throw SharpLmException.At(path, null, field, "missing");
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw SharpLmException.At(path, null, field, $"wrong type: {e.Message}");
            }
        }
        var type = Get<string>("model_type");
        var architecture = new[] { ExportArchitecture.Qwen3, ExportArchitecture.Llama, ExportArchitecture.Arcee }
                               .FirstOrDefault(a => a.ModelType == type)
                           ?? throw SharpLmException.At(path, null, "model_type",
                               $"'{type}' is not supported (llama, qwen3 or arcee layouts)");
        string expectedAct = architecture == ExportArchitecture.Arcee ? "relu2" : "silu";
        var act = Get<string>("hidden_act", expectedAct);
        if (act != expectedAct) throw SharpLmException.At(path, null, "hidden_act", $"'{act}' is not supported for {type} (expected {expectedAct})");
        foreach (var flag in new[] { "attention_bias", "mlp_bias" })
            if (c[flag] is { } f && f.GetValue<bool>())
                throw SharpLmException.At(path, null, flag, "true is not supported (SharpLM's projections have no bias)");
        if (c["rope_scaling"] is JsonObject scaling && scaling["rope_type"]?.GetValue<string>() is { } rt && rt != "default")
            throw SharpLmException.At(path, null, "rope_scaling", $"'{rt}' is not supported (plain RoPE only)");
        int width = Get<int>("hidden_size"), heads = Get<int>("num_attention_heads");
        if (heads <= 0) throw SharpLmException.At(path, null, "num_attention_heads", $"must be positive (got {heads})");
        int headDim = Get("head_dim", width / heads);
        if (headDim <= 0 || headDim % 2 != 0)
            throw SharpLmException.At(path, null, "head_dim", $"must be positive and even for rotary encoding (got {headDim})");
        double ropeTheta = c["rope_parameters"]?["rope_theta"]?.GetValue<double>() ?? Get("rope_theta", 10000.0);
        var config = new GptConfig(
            VocabSize: Get<int>("vocab_size"),
            ContextLength: Get<int>("max_position_embeddings"),
            Depth: Get<int>("num_hidden_layers"),
            Width: width,
            Heads: heads,
            KvHeads: Get("num_key_value_heads", heads),
            Mlp: architecture == ExportArchitecture.Arcee ? MlpKind.ReluSquared : MlpKind.SwiGlu,
            MlpHidden: Get<int>("intermediate_size"),
            TieEmbeddings: Get("tie_word_embeddings", false),
            QkNorm: architecture == ExportArchitecture.Qwen3,
            NormEps: Get("rms_norm_eps", 1e-6),
            RopeBase: ropeTheta,
            HeadDim: headDim * heads == width ? 0 : headDim);
        // Our default hidden width stays implicit (0), so a SharpLM model comes back with the configuration it left with.
        if (config.MlpHidden == (config with { MlpHidden = 0 }).MlpHiddenSize) config = config with { MlpHidden = 0 };
        return (config.Validate(path), architecture);
    }

    /// <summary>Tensor entries by name, from model.safetensors or the shards an index lists.</summary>
    static Dictionary<string, SafetensorsFile.Entry> WeightEntries(string dir)
    {
        var single = Path.Combine(dir, HfExporter.WeightsFile);
        var indexPath = Path.Combine(dir, IndexFile);
        IEnumerable<string> files;
        if (File.Exists(single)) files = [single];
        else if (File.Exists(indexPath))
        {
            try
            {
                var map = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"]?.AsObject()
                          ?? throw SharpLmException.At(indexPath, null, "weight_map", "missing");
                files = map.Select(kv => kv.Value?.GetValue<string>() ?? throw SharpLmException.At(indexPath, null, $"weight_map.{kv.Key}", "no file"))
                    .Distinct().Select(f => Path.Combine(dir, f)).ToList();
            }
            catch (JsonException e)
            {
                throw SharpLmException.At(indexPath, e.LineNumber + 1, null, $"invalid JSON: {e.Message}");
            }
        }
        else throw new SharpLmException($"{dir}: no {HfExporter.WeightsFile} nor {IndexFile}");
        var entries = new Dictionary<string, SafetensorsFile.Entry>(StringComparer.Ordinal);
        foreach (var file in files)
            foreach (var e in SafetensorsFile.ReadHeader(file))
                if (!entries.TryAdd(e.Name, e)) throw SharpLmException.At(file, null, e.Name, $"also in {entries[e.Name].File}");
        return entries;
    }

    /// <summary>The tokenizer with SharpLM's seven chat tokens, each missing one given the next free id.</summary>
    static (BpeTokenizer, List<string>) WithChatTokens(BpeTokenizer tokenizer)
    {
        var specials = tokenizer.SpecialTokenIds.ToDictionary(StringComparer.Ordinal);
        var added = SpecialTokens.All.Where(s => !specials.ContainsKey(s)).ToList();
        if (added.Count == 0) return (tokenizer, added);
        int next = tokenizer.VocabSize;
        foreach (var s in added) specials[s] = next++;
        return (new BpeTokenizer(HfTokenizerJson.Ranks(tokenizer), specials, tokenizer.Splitter), added);
    }

    static bool IsVocabulary(string name) => name is "model.embed_tokens.weight" or "lm_head.weight";

    /// <summary>
    /// An embedding or head matrix with one row per tokenizer id: padding rows past the last id are dropped (no text can
    /// produce them), rows for new ids are the mean row.
    /// </summary>
    static Tensor FitRows(Tensor t, int rows) =>
        rows <= t.shape[0] ? t.narrow(0, 0, rows) : cat([t, t.mean([0], keepdim: true).expand(rows - t.shape[0], t.shape[1])], 0);
}

using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;

namespace SharpLM.Interop;

/// <summary>What <c>sharplm export hf</c> takes: a run or checkpoint folder and the folder to write (atomically).</summary>
public sealed record HfExportOptions(string Model, string Out);

public sealed record HfExportResult(string Out, string Architecture, long Parameters);

/// <summary>
/// Writes a checkpoint as a Hugging Face model folder: config.json, model.safetensors (fp32, our parameter names are
/// already transformers' names), tokenizer.json, tokenizer_config.json with the chat template, generation_config.json.
/// </summary>
public static class HfExporter
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", TokenizerConfigFile = "tokenizer_config.json",
        GenerationConfigFile = "generation_config.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static HfExportResult Export(HfExportOptions o)
    {
        using var source = ExportSource.Open(o.Model);
        var tokenizer = source.Tokenizer;
        AtomicFile.WriteDirectory(o.Out, tmp =>
        {
            Write(tmp, ConfigFile, Config(source.Config, source.Architecture, tokenizer));
            SafetensorsFile.WriteF32(Path.Combine(tmp, WeightsFile), source.Weights.Select(kv => (kv.Key, kv.Value)));
            Write(tmp, HfTokenizerJson.FileName, HfTokenizerJson.Build(tokenizer));
            Write(tmp, TokenizerConfigFile, TokenizerConfig(source.Config, tokenizer));
            Write(tmp, GenerationConfigFile, new JsonObject
            {
                ["bos_token_id"] = tokenizer.SpecialId(SpecialTokens.Bos),
                ["eos_token_id"] = tokenizer.SpecialId(SpecialTokens.AssistantEnd),
            });
        });
        return new HfExportResult(o.Out, source.Architecture.HfClass, source.Config.ParameterCount);
    }

    static void Write(string dir, string name, JsonObject json) =>
        AtomicFile.WriteAllText(Path.Combine(dir, name), json.ToJsonString(Json) + "\n");

    static JsonObject Config(GptConfig c, ExportArchitecture architecture, Tokenizer tokenizer)
    {
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture.HfClass),
            ["model_type"] = architecture.ModelType,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.Width,
            ["intermediate_size"] = c.MlpHiddenSize,
            ["num_hidden_layers"] = c.Depth,
            ["num_attention_heads"] = c.Heads,
            ["num_key_value_heads"] = c.KvHeads,
            ["head_dim"] = c.HeadSize,
            ["hidden_act"] = c.Mlp == MlpKind.SwiGlu ? "silu" : "relu2",
            ["max_position_embeddings"] = c.ContextLength,
            ["rms_norm_eps"] = c.NormEps,
            ["rope_theta"] = c.RopeBase,
            ["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = c.RopeBase },
            ["rope_scaling"] = null,
            ["attention_bias"] = false,
            ["attention_dropout"] = 0.0,
            ["mlp_bias"] = false,
            ["tie_word_embeddings"] = c.TieEmbeddings,
            ["bos_token_id"] = tokenizer.SpecialId(SpecialTokens.Bos),
            ["eos_token_id"] = tokenizer.SpecialId(SpecialTokens.AssistantEnd),
            ["initializer_range"] = 0.02,
            ["use_cache"] = true,
            ["torch_dtype"] = "float32",
        };
        if (architecture == ExportArchitecture.Qwen3) config["use_sliding_window"] = false;
        return config;
    }

    static JsonObject TokenizerConfig(GptConfig c, BpeTokenizer tokenizer)
    {
        var decoder = new JsonObject();
        foreach (var (text, id) in tokenizer.SpecialTokenIds.OrderBy(kv => kv.Value))
            decoder[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = text, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false,
                ["single_word"] = false, ["special"] = true,
            };
        return new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = SpecialTokens.Bos,
            ["eos_token"] = SpecialTokens.AssistantEnd,
            ["pad_token"] = SpecialTokens.AssistantEnd,
            ["add_bos_token"] = false,
            ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = c.ContextLength,
            ["added_tokens_decoder"] = decoder,
            ["chat_template"] = ChatTemplateJinja.Template,
        };
    }
}

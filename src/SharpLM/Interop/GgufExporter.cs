using SharpLM.Core;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Interop;

/// <summary>What <c>sharplm export gguf</c> takes.</summary>
/// <param name="Model">A run folder or checkpoint folder.</param>
/// <param name="Out">The .gguf file to write (atomically).</param>
/// <param name="Type">Matrix type: F32, F16 or Q8_0 (norm weights stay f32, as llama.cpp's converter keeps them).</param>
public sealed record GgufExportOptions(string Model, string Out, GgufType Type = GgufType.F32);

/// <summary>What was written.</summary>
public sealed record GgufExportResult(string Out, string Architecture, GgufType Type, int Tensors, long Bytes);

/// <summary>
/// Writes a checkpoint as a GGUF v3 file that llama.cpp (and Ollama, LM Studio) run: the architecture from
/// <see cref="ExportArchitecture"/>, the hyperparameters under its keys, the byte-level BPE vocabulary as a "gpt2" tokenizer
/// with merges recovered from the ranks, the chat template, and the tensors under llama.cpp's names.
/// </summary>
public static class GgufExporter
{
    public static GgufExportResult Export(GgufExportOptions o)
    {
        using var source = ExportSource.Open(o.Model);
        var pre = PreTokenizer(source.Tokenizer.Splitter.Pattern, o.Model);
        var writer = new GgufWriter();
        Hyperparameters(writer, source, o.Type);
        Vocabulary(writer, source.Tokenizer, pre);
        int tensors = Tensors(writer, source, o.Type);
        AtomicFile.Write(o.Out, writer.WriteTo);
        return new GgufExportResult(o.Out, source.Architecture.Gguf, o.Type, tensors, new FileInfo(o.Out).Length);
    }

    /// <summary>llama.cpp picks its split regex by name (tokenizer.ggml.pre); only patterns it knows can be exported.</summary>
    static string PreTokenizer(string pattern, string model) => pattern switch
    {
        ChunkSplitter.Gpt4Pattern => "llama-bpe", // Llama 3 uses the cl100k_base split
        ChunkSplitter.O200kPattern => "gpt-4o",
        _ => throw SharpLmException.At(model, null, "pattern",
            "the tokenizer's pre-tokenizer regex is not one llama.cpp knows (GPT-4 cl100k or GPT-4o o200k); " +
            "export hf keeps any regex"),
    };

    static void Hyperparameters(GgufWriter w, ExportSource s, GgufType type)
    {
        var c = s.Config;
        string a = s.Architecture.Gguf;
        w.Add("general.architecture", a);
        w.Add("general.name", s.Name);
        w.Add("general.alignment", (uint)GgufWriter.Alignment);
        // llama_ftype: what most matrices are (ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7), shown by Ollama and llama.cpp.
        w.Add("general.file_type", type switch { GgufType.F16 => 1u, GgufType.Q8_0 => 7u, _ => 0u });
        w.Add($"{a}.vocab_size", (uint)c.VocabSize);
        w.Add($"{a}.context_length", (uint)c.ContextLength);
        w.Add($"{a}.embedding_length", (uint)c.Width);
        w.Add($"{a}.block_count", (uint)c.Depth);
        w.Add($"{a}.feed_forward_length", (uint)c.MlpHiddenSize);
        w.Add($"{a}.attention.head_count", (uint)c.Heads);
        w.Add($"{a}.attention.head_count_kv", (uint)c.KvHeads);
        w.Add($"{a}.attention.key_length", (uint)c.HeadSize);
        w.Add($"{a}.attention.value_length", (uint)c.HeadSize);
        w.Add($"{a}.attention.layer_norm_rms_epsilon", (float)c.NormEps);
        w.Add($"{a}.rope.freq_base", (float)c.RopeBase);
        w.Add($"{a}.rope.dimension_count", (uint)c.HeadSize);
    }

    static void Vocabulary(GgufWriter w, BpeTokenizer tokenizer, string pre)
    {
        const int Normal = 1, Control = 3, Unused = 5;
        var byId = tokenizer.SpecialTokenIds.ToDictionary(kv => kv.Value, kv => kv.Key);
        var tokens = new string[tokenizer.VocabSize];
        var types = new int[tokenizer.VocabSize];
        for (int id = 0; id < tokens.Length; id++)
        {
            (tokens[id], types[id]) = id < tokenizer.RankCount ? (ByteLevel.Encode(tokenizer.TokenBytes(id)), Normal)
                : byId.TryGetValue(id, out var special) ? (special, Control)
                : ($"[PAD{id}]", Unused);
        }
        var merges = BpeMerges.FromRanks(HfTokenizerJson.Ranks(tokenizer))
            .Select(m => $"{ByteLevel.Encode(m.Left)} {ByteLevel.Encode(m.Right)}").ToList();
        w.Add("tokenizer.ggml.model", "gpt2");
        w.Add("tokenizer.ggml.pre", pre);
        w.Add("tokenizer.ggml.tokens", tokens);
        w.Add("tokenizer.ggml.token_type", types);
        w.Add("tokenizer.ggml.merges", merges);
        w.Add("tokenizer.ggml.bos_token_id", (uint)tokenizer.SpecialId(SpecialTokens.Bos));
        w.Add("tokenizer.ggml.eos_token_id", (uint)tokenizer.SpecialId(SpecialTokens.AssistantEnd));
        w.Add("tokenizer.ggml.add_bos_token", false);
        w.Add("tokenizer.chat_template", ChatTemplateJinja.Template);
    }

    static int Tensors(GgufWriter w, ExportSource s, GgufType type)
    {
        var c = s.Config;
        int count = 0;
        foreach (var (name, tensor) in s.Weights)
        {
            var ggufName = GgufName(name);
            var t = tensor;
            if (s.Architecture.PermuteQk && name.EndsWith("q_proj.weight", StringComparison.Ordinal)) t = Permute(t, c.Heads);
            if (s.Architecture.PermuteQk && name.EndsWith("k_proj.weight", StringComparison.Ordinal)) t = Permute(t, c.KvHeads);
            // Vectors (norm weights) stay f32; q8_0 blocks run along rows, so a row must be whole blocks.
            var tensorType = t.dim() == 1 || (type == GgufType.Q8_0 && t.shape[^1] % TensorEncoding.Q8Block != 0)
                ? (t.dim() == 1 ? GgufType.F32 : GgufType.F16)
                : type;
            w.AddTensor(ggufName, t.shape.Reverse().ToArray(), tensorType, TensorEncoding.Encode(TensorEncoding.Values(t), tensorType));
            count++;
        }
        return count;
    }

    /// <summary>Rows of each head from rotate-half order (i, i + D/2) to adjacent pairs (2i, 2i + 1).</summary>
    static Tensor Permute(Tensor w, int heads)
    {
        long rows = w.shape[0], cols = w.shape[1];
        return w.detach().reshape(heads, 2, rows / heads / 2, cols).transpose(1, 2).reshape(rows, cols);
    }

    /// <summary>llama.cpp's tensor name for one of our (Llama-style) parameter names.</summary>
    internal static string GgufName(string name)
    {
        if (name == "model.embed_tokens.weight") return "token_embd.weight";
        if (name == "model.norm.weight") return "output_norm.weight";
        if (name == "lm_head.weight") return "output.weight";
        var parts = name.Split('.');
        if (parts is ["model", "layers", var n, .. var rest])
        {
            var inner = string.Join('.', rest) switch
            {
                "input_layernorm.weight" => "attn_norm",
                "self_attn.q_proj.weight" => "attn_q",
                "self_attn.k_proj.weight" => "attn_k",
                "self_attn.v_proj.weight" => "attn_v",
                "self_attn.o_proj.weight" => "attn_output",
                "self_attn.q_norm.weight" => "attn_q_norm",
                "self_attn.k_norm.weight" => "attn_k_norm",
                "post_attention_layernorm.weight" => "ffn_norm",
                "mlp.gate_proj.weight" => "ffn_gate",
                "mlp.up_proj.weight" => "ffn_up",
                "mlp.down_proj.weight" => "ffn_down",
                _ => null,
            };
            if (inner is not null) return $"blk.{n}.{inner}.weight";
        }
        throw new InvalidOperationException($"parameter {name} has no GGUF name");
    }
}

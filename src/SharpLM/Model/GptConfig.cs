using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLM.Core;

namespace SharpLM.Model;

public enum MlpKind
{
    /// <summary>relu(x W_up)² W_down: two matrices, cheap, used by nanochat.</summary>
    ReluSquared,
    /// <summary>(silu(x W_gate) ⊙ x W_up) W_down: three matrices, used by Llama.</summary>
    SwiGlu,
}

/// <summary>The shape of a GPT. Serialised as config.json in every run folder.</summary>
/// <param name="VocabSize">Number of token ids (ordinary tokens and specials).</param>
/// <param name="ContextLength">Longest sequence the model sees (RoPE tables are built for it).</param>
/// <param name="Depth">Number of transformer blocks.</param>
/// <param name="Width">Residual stream width (model dimension).</param>
/// <param name="Heads">Query heads; head size is Width / Heads unless <paramref name="HeadDim"/> is set.</param>
/// <param name="KvHeads">Key/value heads; fewer than Heads gives grouped-query attention.</param>
/// <param name="MlpHidden">Hidden width of the MLP; 0 means 4×Width (ReLU²) or the Llama 8/3×Width rounded to 64 (SwiGLU).</param>
/// <param name="HeadDim">Head size when it is not Width / Heads (imported models such as Qwen3-0.6B); 0 = Width / Heads.
/// Left out of config.json when 0.</param>
public sealed record GptConfig(
    int VocabSize,
    int ContextLength,
    int Depth,
    int Width,
    int Heads,
    int KvHeads,
    MlpKind Mlp = MlpKind.ReluSquared,
    int MlpHidden = 0,
    bool TieEmbeddings = false,
    bool QkNorm = true,
    double NormEps = 1e-5,
    double RopeBase = 10000,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int HeadDim = 0)
{
    public const string FileName = "config.json";

    /// <summary>nanochat-style sizing: width 64·depth, heads of size 64.</summary>
    public static GptConfig FromDepth(int depth, int vocabSize, int contextLength, MlpKind mlp = MlpKind.ReluSquared)
    {
        if (depth < 1) throw new SharpLmException($"--depth must be at least 1 (got {depth})");
        int width = 64 * depth;
        return new GptConfig(vocabSize, contextLength, depth, width, width / 64, width / 64, mlp);
    }

    public int HeadSize => HeadDim > 0 ? HeadDim : Width / Heads;

    public int MlpHiddenSize => MlpHidden > 0 ? MlpHidden
        : Mlp == MlpKind.SwiGlu ? (8 * Width / 3 + 63) / 64 * 64
        : 4 * Width;

    /// <summary>Throws a <see cref="SharpLmException"/> naming the first field that is out of range.</summary>
    public GptConfig Validate(string source = FileName)
    {
        void Check(bool ok, string field, string message)
        {
            if (!ok) throw SharpLmException.At(source, null, field, message);
        }
        Check(VocabSize > 0, "vocab_size", $"must be positive (got {VocabSize})");
        Check(ContextLength > 0, "context_length", $"must be positive (got {ContextLength})");
        Check(Depth > 0, "depth", $"must be positive (got {Depth})");
        Check(Width > 0, "width", $"must be positive (got {Width})");
        Check(HeadDim >= 0, "head_dim", $"must be 0 (width / heads) or positive (got {HeadDim})");
        Check(Heads > 0 && (HeadDim > 0 || Width % Heads == 0), "heads", $"must divide width {Width} (got {Heads})");
        Check(HeadSize % 2 == 0, "heads", $"head size {HeadSize} must be even for rotary encoding");
        Check(KvHeads > 0 && Heads % KvHeads == 0, "kv_heads", $"must divide heads {Heads} (got {KvHeads})");
        Check(MlpHidden >= 0, "mlp_hidden", $"must be 0 (default) or positive (got {MlpHidden})");
        Check(NormEps > 0, "norm_eps", $"must be positive (got {NormEps})");
        Check(RopeBase > 1, "rope_base", $"must be greater than 1 (got {RopeBase})");
        return this;
    }

    /// <summary>Trainable parameters (embedding, blocks, final norm, head unless tied).</summary>
    public long ParameterCount
    {
        get
        {
            long c = Width, kv = (long)KvHeads * HeadSize, h = MlpHiddenSize;
            long q = (long)Heads * HeadSize;
            long attention = c * q /*q*/ + 2 * c * kv /*k,v*/ + q * c /*o*/ + (QkNorm ? 2L * HeadSize : 0);
            long mlp = (Mlp == MlpKind.SwiGlu ? 3 : 2) * c * h;
            long block = attention + mlp + 2 * c /*two norms*/;
            long embedding = (long)VocabSize * c;
            return embedding + Depth * block + c + (TieEmbeddings ? 0 : embedding);
        }
    }

    /// <summary>
    /// Training FLOPs per token: 6 per weight that multiplies an activation (the embedding lookup is free) plus attention's
    /// QKᵀ and AV, 12·depth·width·T for a full causal window of T (as in the PaLM appendix and nanochat).
    /// </summary>
    public double TrainingFlopsPerToken(int sequenceLength)
    {
        double matmulParams = ParameterCount - (double)VocabSize * Width * (TieEmbeddings ? 0 : 1);
        return 6 * matmulParams + 12.0 * Depth * Width * sequenceLength;
    }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), ToJson());

    public static GptConfig Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found");
        try
        {
            return (JsonSerializer.Deserialize<GptConfig>(File.ReadAllText(path), Json)
                    ?? throw SharpLmException.At(path, null, null, "empty configuration")).Validate(path);
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(path, e.LineNumber + 1, e.Path, e.Message);
        }
    }
}

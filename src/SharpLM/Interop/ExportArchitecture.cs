using SharpLM.Core;
using SharpLM.Model;

namespace SharpLM.Interop;

/// <summary>
/// Which llama.cpp architecture and transformers model run a SharpLM configuration. Our rotary encoding pairs channel i
/// with i + D/2 (rotate_half, as transformers' Llama/Qwen3/Arcee code does): llama.cpp's qwen3 takes those q/k rows as
/// they are; its llama and arcee architectures rotate adjacent pairs, so their q/k rows are permuted on export.
/// </summary>
/// <param name="Gguf">general.architecture in GGUF.</param>
/// <param name="ModelType">transformers' model_type.</param>
/// <param name="HfClass">transformers' architectures entry.</param>
/// <param name="PermuteQk">Whether GGUF q/k rows go from rotate-half to adjacent-pair order.</param>
public sealed record ExportArchitecture(string Gguf, string ModelType, string HfClass, bool PermuteQk)
{
    public static readonly ExportArchitecture Qwen3 = new("qwen3", "qwen3", "Qwen3ForCausalLM", PermuteQk: false);
    public static readonly ExportArchitecture Llama = new("llama", "llama", "LlamaForCausalLM", PermuteQk: true);
    public static readonly ExportArchitecture Arcee = new("arcee", "arcee", "ArceeForCausalLM", PermuteQk: true);

    /// <summary>
    /// SwiGLU with QK-norm → qwen3, SwiGLU → llama, ReLU² → arcee (a gate-less ReLU² MLP). ReLU² with QK-norm has no
    /// counterpart in llama.cpp or transformers, so it is refused, naming the field.
    /// </summary>
    public static ExportArchitecture For(GptConfig config, string source) => (config.Mlp, config.QkNorm) switch
    {
        (MlpKind.SwiGlu, true) => Qwen3,
        (MlpKind.SwiGlu, false) => Llama,
        (MlpKind.ReluSquared, false) => Arcee,
        _ => throw SharpLmException.At(source, null, "mlp",
            "relu_squared with qk_norm cannot be exported: no llama.cpp architecture and no transformers model combines " +
            "QK-norm with a gate-less ReLU² MLP (qwen3 has QK-norm with SwiGLU, arcee ReLU² without QK-norm). " +
            "Train with --mlp SwiGlu (the speedrun's model) to get an exportable model"),
    };
}

using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Interop;

/// <summary>
/// What both exporters start from: a verified checkpoint, its byte-level BPE tokenizer, the architecture that runs it,
/// and its weights by (Llama-style) parameter name. Everything that could refuse the export is checked here, before
/// any file is written.
/// </summary>
public sealed class ExportSource : IDisposable
{
    readonly LoadedModel _loaded;

    ExportSource(LoadedModel loaded, BpeTokenizer tokenizer, ExportArchitecture architecture, bool hasChatTemplate)
    {
        _loaded = loaded;
        Tokenizer = tokenizer;
        Architecture = architecture;
        HasChatTemplate = hasChatTemplate;
        Weights = loaded.Model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
    }

    public GptConfig Config => _loaded.Config;
    public BpeTokenizer Tokenizer { get; }
    public ExportArchitecture Architecture { get; }

    /// <summary>Whether the checkpoint carries a chat template (SFT and later stages), i.e. whether it was taught to chat.</summary>
    public bool HasChatTemplate { get; }

    /// <summary>Parameters by name: model.embed_tokens.weight, model.layers.N.self_attn.q_proj.weight, …, lm_head.weight.</summary>
    public IReadOnlyDictionary<string, Tensor> Weights { get; }

    /// <summary>A name for the model: the run folder's name.</summary>
    public string Name => Path.GetFileName(Path.GetFullPath(Path.Combine(_loaded.Dir, "..")));

    public static ExportSource Open(string modelPath)
    {
        var dir = RunFolder.ResolveModel(modelPath);
        var loaded = Checkpoint.Load(dir);
        try
        {
            var configPath = Path.Combine(dir, GptConfig.FileName);
            var architecture = ExportArchitecture.For(loaded.Config, configPath);
            if (loaded.Tokenizer is not BpeTokenizer bpe)
                throw SharpLmException.At(Path.Combine(dir, Tokenization.Tokenizer.DescriptorFile), null, "kind",
                    $"a {loaded.Tokenizer} cannot be exported: llama.cpp and transformers read byte-level BPE vocabularies");
            foreach (var special in SpecialTokens.All) bpe.SpecialId(special);
            bool chat = ChatTemplate.TryLoad(dir, bpe) is not null;
            return new ExportSource(loaded, bpe, architecture, chat);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    public void Dispose() => _loaded.Dispose();
}

using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Inspection;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Serving;

/// <summary>
/// One run folder being served: the loaded model, its tokenizer and chat template, its <see cref="Scheduler"/> (the only
/// thread that touches the model), and the inspection views the page draws.
/// </summary>
public sealed class ServedModel : IDisposable
{
    readonly LoadedModel _loaded;
    readonly Inspector _inspector;
    readonly Generator _generator; // for its prompt encoding only: generation runs on the scheduler

    public ServedModel(string id, LoadedModel loaded, int slots, int queue, ServingMetrics metrics, string precision = "auto")
    {
        Id = id;
        _loaded = loaded;
        Template = ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer);
        var choice = ComputePrecision.ForGeneration(precision, loaded.Config, () => MatmulPeak.Measure(0));
        var inferencePrecision = choice.Type;
        PrecisionName = choice.Name;
        _inspector = new Inspector(loaded.Model, loaded.Tokenizer);
        _generator = new Generator(loaded.Model, loaded.Tokenizer, inferencePrecision);
        Scheduler = new Scheduler(loaded.Model, loaded.Tokenizer, inferencePrecision, slots, queue, metrics, id);
    }

    public string Id { get; }
    public string Dir => _loaded.Dir;
    public Tokenizer Tokenizer => _loaded.Tokenizer;
    public ChatTemplate? Template { get; }
    public Scheduler Scheduler { get; }
    public string PrecisionName { get; }
    public int ContextLength => _loaded.Config.ContextLength;
    public int Layers => _loaded.Config.Depth;
    public int Heads => _loaded.Config.Heads;

    /// <summary>Ids that end an answer: every special token (the assistant end token, a new turn, a new document).</summary>
    public IReadOnlyList<int> StopTokenIds => [.. Tokenizer.SpecialTokenIds.Values];

    /// <summary>
    /// The conversation as prompt ids: with a chat template (a model after SFT) rendered with its special tokens, without
    /// one (a base model) as one running text to continue, as <c>sharplm chat</c> does.
    /// </summary>
    public int[] ChatPrompt(IReadOnlyList<ChatMessage> messages)
    {
        if (Template is not null) return Template.RenderForGeneration(messages);
        ChatTemplate.Check(messages, forGeneration: true);
        return TextPrompt(string.Concat(messages.Select(m => m.Content)));
    }

    /// <summary>Plain text as a prompt: BOS (when the tokenizer has one), then the text.</summary>
    public int[] TextPrompt(string text) => _generator.EncodePrompt(text);

    /// <summary>The attention chart (one layer; one head or all) for <paramref name="text"/>, as PNG bytes.</summary>
    public Task<byte[]> AttentionPng(string text, int layer, int? head) => Scheduler.RunAsync(() =>
    {
        if (layer < 0 || layer >= Layers) throw new SharpLmException($"layer must be in 0..{Layers - 1} (got {layer})");
        var report = _inspector.Attention(text, layer);
        return Png(path => Charts.Attention(report, layer, head, path, 560, 520));
    });

    /// <summary>The next-token distribution chart after <paramref name="text"/>, as PNG bytes.</summary>
    public Task<byte[]> NextPng(string text, double temperature, int topK, double topP) => Scheduler.RunAsync(() =>
    {
        var report = _inspector.Next(text, 10, temperature, topK, topP);
        return Png(path => Charts.Next(report, path, 760, 420));
    });

    static byte[] Png(Action<string> draw)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharplm-serve-{Guid.NewGuid():N}.png");
        try
        {
            draw(path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        _loaded.Dispose();
    }
}

using LLama;
using LLama.Common;
using LLama.Native;
using SharpLM.Inference;

namespace SharpLM.Interop.Tests;

/// <summary>A GGUF file opened in llama.cpp (LLamaSharp), with an f32 KV cache so logits can be compared closely.</summary>
public sealed class LlamaCpp : IDisposable
{
    readonly LLamaWeights _weights;
    readonly LLamaContext _context;

    public LlamaCpp(string gguf, int threads = 1)
    {
        var parameters = new ModelParams(gguf)
        {
            ContextSize = 128, BatchSize = 128, UBatchSize = 128, GpuLayerCount = 0, Threads = threads, BatchThreads = threads,
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
    }

    public string Architecture => _weights.Metadata["general.architecture"];

    public int[] Tokenize(string text) => _context.Tokenize(text, addBos: false, special: false).Select(t => (int)t).ToArray();

    /// <summary>Logits at every position of <paramref name="ids"/>, from an empty cache.</summary>
    public float[][] Logits(int[] ids)
    {
        _context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Length; i++) batch.Add((LLamaToken)ids[i], i, LLamaSeqId.Zero, true);
        Check(_context.Decode(batch));
        return Enumerable.Range(0, ids.Length).Select(i => _context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> by <paramref name="count"/> tokens, one decode per token.</summary>
    public int[] Greedy(int[] prompt, int count)
    {
        var logits = Logits(prompt)[^1];
        var result = new List<int>();
        for (int i = 0; i < count; i++)
        {
            int next = Sampler.ArgMax(logits);
            result.Add(next);
            var batch = new LLamaBatch();
            batch.Add((LLamaToken)next, prompt.Length + i, LLamaSeqId.Zero, true);
            Check(_context.Decode(batch));
            logits = _context.NativeHandle.GetLogitsIth(0).ToArray();
        }
        return [.. result];
    }

    static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}");
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}

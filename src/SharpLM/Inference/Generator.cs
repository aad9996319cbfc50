using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Inference;

/// <summary>
/// Generates from a <see cref="Gpt"/>: prefill the prompts once into a <see cref="KvCache"/>, then decode one token per row per
/// step. Prompts of different lengths are left-padded and the pads hidden by an attention mask (RoPE sees only relative
/// positions, so a padded row computes the same logits as alone). Rows stop independently and leave the batch. Each step
/// runs in inference mode inside its own dispose scope: only the cache (preallocated) survives between steps. Sampling happens
/// in C# on a copy of the last position's logits (see <see cref="Sampler"/>).
/// </summary>
public sealed class Generator
{
    const int PadId = 0; // any valid id: pads are masked out as keys and their outputs are never read

    readonly Gpt _model;
    readonly Device _device;

    /// <param name="precision">
    /// Weights while generating (see <see cref="Gpt.FuseForInference"/>): Float32 reproduces the model's forward pass;
    /// BFloat16 and Float16 halve the bytes streamed per decoded token, at a small cost in fidelity (bench/RESULTS.md).
    /// </param>
    public Generator(Gpt model, Tokenizer tokenizer, ScalarType precision = ScalarType.Float32)
    {
        _model = model;
        Tokenizer = tokenizer;
        Precision = precision;
        _device = model.parameters().First().device;
    }

    public ScalarType Precision { get; }

    /// <summary>
    /// How the last call decoded: "fused step" (<see cref="FusedDecoder"/>, no libtorch ops) or "libtorch"; null before any
    /// decode step. Shown with the stats.
    /// </summary>
    public string? DecodePath { get; private set; }

    /// <summary>Why this precision was chosen (set by callers that chose it, e.g. --precision auto); shown with the stats.</summary>
    public string? PrecisionReason { get; init; }

    public string PrecisionName => Precisions.First(p => p.Value == Precision).Key;

    /// <summary>The precision names the CLI uses: fp32, bf16, fp16.</summary>
    public static IReadOnlyDictionary<string, ScalarType> Precisions { get; } = new Dictionary<string, ScalarType>
    {
        ["fp32"] = ScalarType.Float32,
        ["bf16"] = ScalarType.BFloat16,
        ["fp16"] = ScalarType.Float16,
    };

    public Tokenizer Tokenizer { get; }
    public int ContextLength => _model.Config.ContextLength;

    /// <summary>Plain text as a prompt: BOS (when the tokenizer has one, as documents start in training), then the text.</summary>
    public int[] EncodePrompt(string text)
    {
        int[] bos = Tokenizer.SpecialTokenIds.ContainsKey(SpecialTokens.Bos) ? [Tokenizer.BosId] : [];
        return [.. bos, .. Tokenizer.Encode(text)];
    }

    /// <summary>One completion per prompt, in one batch.</summary>
    public IReadOnlyList<Generation> Generate(IReadOnlyList<int[]> prompts, GenerationOptions options, CancellationToken ct = default) =>
        Collect(prompts.Count, Run(prompts, 1, options, ct), options);

    /// <summary><paramref name="n"/> completions of one prompt: the prompt is prefilled once and its cache copied to n rows.</summary>
    public IReadOnlyList<Generation> Sample(int[] prompt, int n, GenerationOptions options, CancellationToken ct = default)
    {
        if (n < 1) throw new SharpLmException($"--num-samples must be at least 1 (got {n})");
        return Collect(n, Run([prompt], n, options, ct), options);
    }

    /// <summary>Streams one completion: a piece per generated token (text only once complete), the last piece with the stop reason.</summary>
    public async IAsyncEnumerable<StreamPiece> Stream(int[] prompt, GenerationOptions options,
                                                      [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var step in Run([prompt], 1, options, ct))
            foreach (var (_, piece) in step)
            {
                yield return piece;
                if (piece.Stop is not null) yield break;
            }
        await Task.CompletedTask;
    }

    static List<Generation> Collect(int rows, IEnumerable<List<(int Row, StreamPiece Piece)>> steps, GenerationOptions options)
    {
        var tokens = Enumerable.Range(0, rows).Select(_ => new List<GeneratedToken>()).ToArray();
        var texts = Enumerable.Range(0, rows).Select(_ => new System.Text.StringBuilder()).ToArray();
        var stops = new StopReason[rows];
        foreach (var step in steps)
            foreach (var (row, piece) in step)
            {
                if (piece.Token is not null) tokens[row].Add(piece.Token);
                texts[row].Append(piece.Text);
                if (piece.Stop is { } stop) stops[row] = stop;
            }
        return Enumerable.Range(0, rows).Select(r => new Generation(
            tokens[r].Select(t => t.Id).ToArray(),
            texts[r].ToString(),
            stops[r],
            options.LogProbs ? tokens[r].Select(t => t.LogProb).ToArray() : null,
            options.TopCandidates > 0 ? tokens[r].Select(t => t.Candidates).ToArray() : null)).ToList();
    }

    sealed class Row(int index, RowDecoder decoder)
    {
        public int Index { get; } = index;
        public RowDecoder Decoder { get; } = decoder;
    }

    /// <summary>
    /// The decoding loop. Yields, after every step, the pieces of the rows that moved; a row's last piece carries its stop reason.
    /// No tensor crosses a yield except the cache and the key mask, so callers may do anything between steps.
    /// </summary>
    IEnumerable<List<(int Row, StreamPiece Piece)>> Run(IReadOnlyList<int[]> prompts, int copies, GenerationOptions options,
                                                          CancellationToken ct)
    {
        options.Validate();
        if (prompts.Count == 0) yield break;
        foreach (var p in prompts)
        {
            if (p.Length == 0) throw new SharpLmException("a prompt needs at least one token (start with the tokenizer's BOS)");
            if (p.Any(id => id < 0 || id >= _model.Config.VocabSize))
                throw new SharpLmException($"prompt token id outside the vocabulary (size {_model.Config.VocabSize})");
            if (p.Length > ContextLength && options.Overflow == ContextOverflow.Stop)
                throw new SharpLmException($"prompt of {p.Length} tokens exceeds the model's context length {ContextLength}");
        }
        var sampler = new Sampler(options.SamplingOrDefault, new Random(unchecked((int)options.Seed)));
        var stopIds = options.StopTokenIds?.ToHashSet() ?? [];
        var rows = Enumerable.Range(0, prompts.Count * copies)
            .Select(i => new Row(i, new RowDecoder(Tokenizer, prompts[i / copies], options, sampler, stopIds)))
            .ToList();
        int V = _model.Config.VocabSize;

        using var fused = _model.FuseForInference(Precision);
        using var state = new DecodeState(_model, _device, Precision);
        float[] logits = state.Prefill(prompts.Select(p => Window(p)).ToList(), copies);
        var events = new List<(int Row, StreamPiece Piece)>();
        while (rows.Count > 0)
        {
            events.Clear();
            var finished = new List<int>();
            for (int j = 0; j < rows.Count; j++)
            {
                var piece = ct.IsCancellationRequested ? rows[j].Decoder.Stop(StopReason.Cancelled)
                    : rows[j].Decoder.Next(logits.AsSpan(j * V, V));
                events.Add((rows[j].Index, piece));
                if (piece.Stop is not null) finished.Add(j);
            }

            if (finished.Count == rows.Count) { yield return events; yield break; }
            if (finished.Count > 0)
            {
                var keep = Enumerable.Range(0, rows.Count).Except(finished).ToArray();
                state.KeepRows(keep);
                rows = keep.Select(j => rows[j]).ToList();
            }

            if (state.Full)
            {
                if (options.Overflow == ContextOverflow.Stop)
                {
                    foreach (var row in rows) events.Add((row.Index, row.Decoder.Stop(StopReason.ContextFull)));
                    yield return events;
                    yield break;
                }
                logits = state.Prefill(rows.Select(r => Window(r.Decoder.Sequence.ToArray(), ContextLength * 3 / 4)).ToList(), 1);
            }
            else
            {
                logits = state.Decode(rows.Select(r => r.Decoder.Sequence[^1]).ToArray());
                DecodePath = state.Fused ? "fused step" : "libtorch";
            }
            yield return events;
        }
    }

    /// <summary>The most recent tokens that fit (the whole prompt unless it is longer than the context).</summary>
    int[] Window(int[] tokens, int? limit = null)
    {
        int max = limit ?? ContextLength;
        return tokens.Length <= max ? tokens : tokens[^max..];
    }

    /// <summary>Copies logits (…, V) into <paramref name="into"/> (resized when needed), refusing non-finite values.</summary>
    internal static void CopyLogits(Tensor logits, ref float[] into, ScalarType precision)
    {
        var cpu = logits.device_type == DeviceType.CPU ? logits.contiguous() : logits.cpu();
        int n = (int)cpu.numel();
        if (into.Length != n) into = new float[n];
        MemoryMarshal.Cast<byte, float>(cpu.bytes).CopyTo(into); // ~0.2 µs; the element accessor takes ~50 µs
        CheckFinite(into, precision);
    }

    /// <summary>Refuses non-finite logits with a line that says what to do.</summary>
    internal static void CheckFinite(ReadOnlySpan<float> logits, ScalarType precision)
    {
        foreach (var v in logits)
            if (!float.IsFinite(v))
                throw new SharpLmException("the model produced a non-finite logit (NaN or ∞)" + (precision == ScalarType.Float16
                    ? ": its activations overflow fp16, generate in fp32 instead" : ": the checkpoint's weights are broken"));
    }

    /// <summary>The cache, the key mask for left-padded rows, and the forward passes of one generation call.</summary>
    sealed class DecodeState(Gpt model, Device device, ScalarType precision) : IDisposable
    {
        KvCache? _cache;
        Tensor? _keyMask; // (B, 1, 1, capacity): false on pad positions; null when no row is padded
        int[] _firstKeys = []; // the same for the fused step: per row, its first key that is not a pad; empty when none
        float[] _logits = [];

        public bool Full => _cache!.Length >= _cache.Capacity;

        /// <summary>Whether the last <see cref="Decode"/> ran the fused step.</summary>
        public bool Fused { get; private set; }

        /// <summary>Prefills left-padded prompts; with copies &gt; 1 each prompt's cache row is repeated. Returns (B·copies, V) logits.</summary>
        public float[] Prefill(List<int[]> prompts, int copies)
        {
            using var mode = inference_mode();
            int B = prompts.Count, L = prompts.Max(p => p.Length), C = model.Config.ContextLength;
            _cache?.Dispose();
            _keyMask?.Dispose();
            _keyMask = null;
            _cache = new KvCache(model.Config, B, device, model.ComputeType);
            var pads = prompts.Select(p => L - p.Length).ToArray();
            _firstKeys = pads.Any(p => p > 0) ? pads : [];
            var ids = new long[B * L];
            for (int b = 0; b < B; b++)
                for (int t = 0; t < L; t++) ids[b * L + t] = t < pads[b] ? PadId : prompts[b][t - pads[b]];
            using (var scope = NewDisposeScope())
            {
                Tensor? mask = null;
                if (pads.Any(p => p > 0))
                {
                    // Query t may see key s ≤ t of its own row unless s is a pad; a pad query sees itself (no empty softmax row).
                    var allowed = new bool[B * L * L];
                    for (int b = 0; b < B; b++)
                        for (int t = 0; t < L; t++)
                            for (int s = 0; s <= t; s++) allowed[(b * L + t) * L + s] = s >= pads[b] || s == t;
                    mask = tensor(allowed, [B, 1, L, L], device: device);                  // (B, 1, T, S)
                    var keys = new bool[B * C];
                    for (int b = 0; b < B; b++)
                        for (int s = 0; s < C; s++) keys[b * C + s] = s >= pads[b];
                    _keyMask = tensor(keys, [B, 1, 1, C], device: device).DetachFromDisposeScope();
                }
                var idx = tensor(ids, [B, L], device: device);                                 // (B, T)
                var hidden = model.Hidden(idx, _cache, mask);                                  // (B, T, C)
                var last = model.Logits(hidden.narrow(1, L - 1, 1));                            // (B, 1, V)
                CopyLogits(last);
            }
            if (copies > 1)
            {
                var rows = Enumerable.Range(0, B * copies).Select(i => i / copies).ToArray();
                KeepRows(rows);
                int V = model.Config.VocabSize;
                var expanded = new float[B * copies * V];
                for (int i = 0; i < rows.Length; i++) Array.Copy(_logits, rows[i] * V, expanded, i * V, V);
                _logits = expanded;
            }
            return _logits;
        }

        /// <summary>Feeds one token per row; returns (B, V) logits for the next position.</summary>
        public float[] Decode(int[] tokens)
        {
            Fused = model.Decoder is { } fused && fused.Applies(_cache!);
            if (Fused)
            {
                // The step without libtorch ops (fp32 on the CPU, up to 16 rows): same cache, same logits to fp32 rounding.
                model.Decoder!.Step(tokens, _cache!, _firstKeys, ref _logits);
                CheckFinite(_logits, precision);
                return _logits;
            }
            using var mode = inference_mode();
            using var scope = NewDisposeScope();
            long B = tokens.Length, S = _cache!.Length + 1;
            var mask = _keyMask?.narrow(3, 0, S);                                                // (B, 1, 1, S)
            var idx = tensor(tokens.Select(t => (long)t).ToArray(), [B, 1], device: device);  // (B, 1)
            CopyLogits(model.Logits(model.Hidden(idx, _cache, mask)));                          // (B, 1, V)
            return _logits;
        }

        /// <summary>Keeps (or repeats) the given batch rows of the cache and the key mask.</summary>
        public void KeepRows(int[] rows)
        {
            using var mode = inference_mode();
            using var scope = NewDisposeScope();
            var index = tensor(rows.Select(r => (long)r).ToArray(), device: device);
            _cache!.SelectRows(index);
            if (_firstKeys.Length > 0) _firstKeys = rows.Select(r => _firstKeys[r]).ToArray();
            if (_keyMask is not null)
            {
                var kept = _keyMask.index_select(0, index).DetachFromDisposeScope();
                _keyMask.Dispose();
                _keyMask = kept;
            }
        }

        void CopyLogits(Tensor logits) => Generator.CopyLogits(logits, ref _logits, precision);

        public void Dispose()
        {
            _cache?.Dispose();
            _keyMask?.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Bench;

/// <summary>
/// Where one batch-1 decoded token's time goes (issue 15), on the reference shape in the Qwen3 layout that
/// inference-vs-llamacpp runs (vocabulary 4,096, context 256, depth 4, width 256, 4 heads, SwiGLU, QK-norm; fp32): the
/// bare cached forward pass per token, then each kind of op the step runs timed alone at the step's shapes, times how
/// many of it a token runs (counted from <c>Gpt</c>'s decode path), so the table adds up to an estimate of the step.
/// With <c>--loop SECONDS</c> it only decodes for that long (to run under <c>perf record</c>).
/// Args: [threads=1] [tokens=200] [repeats=5] [--loop SECONDS].
/// </summary>
public sealed class DecodeProfileBench : IBenchmark
{
    public string Name => "decode-profile";
    public string Description => "one batch-1 decoded token op by op: the bare forward pass against its ops timed alone";

    public int Run(string[] args)
    {
        var positional = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        int Arg(int i, int fallback) => positional.Length > i ? int.Parse(positional[i], CultureInfo.InvariantCulture) : fallback;
        int threads = Arg(0, 1), tokens = Arg(1, 200), repeats = Arg(2, 5);
        double loop = double.Parse(Machine.Arg(args, "--loop", "0"), CultureInfo.InvariantCulture);
        TorchRuntime.Apply(new TorchSettings(Threads: threads, Seed: 1));
        var config = new GptConfig(4096, 256, Depth: 4, Width: 256, Heads: 4, KvHeads: 4, Mlp: MlpKind.SwiGlu, QkNorm: true);
        using var model = new Gpt(config);
        model.eval();
        if (loop > 0)
        {
            var clock = Stopwatch.StartNew();
            int n = 0;
            while (clock.Elapsed.TotalSeconds < loop) { InferenceBench.BareDecode(model, config, tokens); n++; }
            Console.WriteLine($"decode-profile: {n} × {tokens} tokens in {clock.Elapsed.TotalSeconds:0.0} s");
            return 0;
        }
        InferenceBench.BareDecode(model, config, tokens); // warm-up
        var step = Machine.Median(Enumerable.Range(0, repeats).Select(_ => InferenceBench.BareDecode(model, config, tokens).Wall / (tokens - 1)));
        Console.WriteLine($"decode-profile: {threads} thread(s), {tokens} tokens, median of {repeats}; load average {Machine.LoadAverage()}");
        Console.WriteLine($"  bare cached forward pass, batch 1, fp32: {step * 1e6:N0} µs per token ({1 / step:N0} tokens/s)");

        long C = config.Width, H = config.Heads, D = config.HeadSize, hidden = config.MlpHiddenSize, V = config.VocabSize, S = 16 + tokens / 2;
        var x = randn(1, 1, C);
        var qk = randn(1, H + H, 1, D);
        var keys = randn(1, H, S, D);
        var cache = zeros(1, H, 256, D);
        var w = new Dictionary<string, Tensor>
        {
            ["qkv"] = randn(3 * C, C), ["o"] = randn(C, C), ["up"] = randn(hidden, C), ["down"] = randn(C, hidden), ["head"] = randn(V, C),
        };
        var h = randn(1, 1, hidden);
        var table = randn(256, D);
        var embedding = randn(V, C);
        var ids = new long[] { 7 };
        int L = config.Depth;
        (string Name, int Count, Func<Tensor> Op)[] ops =
        [
            ("view/narrow/transpose (no compute)", 14 * L, () => x.view(-1)),
            ("linear qkv 256→768", L, () => F.linear(x, w["qkv"])),
            ("linear o 256→256", L, () => F.linear(x, w["o"])),
            ($"linear gate, up 256→{hidden}", 2 * L, () => F.linear(x, w["up"])),
            ($"linear down {hidden}→256", L, () => F.linear(h, w["down"])),
            ("linear head 256→4096", 1, () => F.linear(x, w["head"])),
            ("square, rsqrt (13 norms), silu: unary", 2 * (3 * L + 1) + L, () => x.square()),
            ("mean over the last dim", 3 * L + 1, () => x.mean([-1], keepdim: true)),
            ("binary op (norm, residual, SwiGLU) (1,1,256)", 2 * (2 * L + 1) + 2 * L + L, () => x * x),
            ("binary op on q/k (norm, RoPE) (1,8,1,64)", 4 * L, () => qk * qk),
            ("roll (1,8,1,64)", L, () => qk.roll(D / 2, -1)),
            ("addcmul_ (1,8,1,64)", L, () => qk.addcmul_(qk, qk, 0)),
            ("KV cache write: narrow + copy_", 2 * L, () => cache.narrow(2, 5, 1).copy_(keys.narrow(2, 0, 1))),
            ($"scaled_dot_product_attention, {S} keys", L, () => F.scaled_dot_product_attention(qk.narrow(1, 0, H), keys, keys)),
            ("embedding (index_select)", 1, () => embedding.index_select(0, tensor(ids))),
            ("token id tensor from long[]", 1, () => tensor(ids, [1, 1])),
        ];
        Console.WriteLine("  op (timed alone, 1 row)                     | µs each | per token | µs per token");
        double total = 0;
        using (var mode = inference_mode())
            foreach (var (name, count, op) in ops)
            {
                double each = TimeOp(op);
                total += each * count;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-44} | {each,7:0.0} | {count,9} | {each * count,8:N0}"));
            }
        Console.WriteLine($"  sum of the ops timed alone: {total:N0} µs per token, against {step * 1e6:N0} µs measured");
        return 0;
    }

    /// <summary>Median µs of one call, over 7 runs of 400 calls (40 per dispose scope, as a decode step frees its tensors).</summary>
    static double TimeOp(Func<Tensor> op)
    {
        for (int i = 0; i < 200; i++) { using var warm = NewDisposeScope(); op(); }
        return Machine.Median(Enumerable.Range(0, 7).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            for (int s = 0; s < 10; s++)
            {
                using var scope = NewDisposeScope();
                for (int i = 0; i < 40; i++) op();
            }
            return clock.Elapsed.TotalMicroseconds / 400;
        }));
    }
}

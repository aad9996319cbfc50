using System.Diagnostics;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Bench;

/// <summary>
/// Where one fp32 training step of the reference configuration goes, op by op against its FLOPs: every matrix product
/// of the step (forward, input gradient, weight gradient of each projection and the head) timed alone at its own shape,
/// attention forward + backward, cross-entropy forward + backward, and the optimizer; the whole step measured the same way,
/// the difference being the norms, rotations, activations, residual adds and autograd bookkeeping. Each timing is the
/// fastest of several (the least disturbed), with pinned OpenMP threads; GFLOP/s is against the stable matmul peak.
/// </summary>
public sealed class StepProfileBench : IBenchmark
{
    public string Name => "profile";
    public string Description => "per-op time of one training step of the reference config vs its FLOPs [--threads N --pin-dotnet-threads]";

    public int Run(string[] args)
    {
        int threads = int.Parse(Machine.Arg(args, "--threads", "2"), CultureInfo.InvariantCulture);
        Console.WriteLine($"load average before: {Machine.LoadAverage()}; {Machine.CpuLine()}");
        Machine.PinOpenMpThreads();
        TorchRuntime.Apply(new TorchSettings(threads, Seed: 1337));
        Console.WriteLine(Machine.ReleaseDotNetThreadsUnlessPinned(args));
        var peak = MatmulPeak.Stable(threads);
        var c = MachineInfo.Reference;
        const int B = 16;
        long M = B * c.ContextLength, C = c.Width, Hd = c.MlpHiddenSize, V = c.VocabSize;
        int H = c.Heads, D = c.HeadSize, T = c.ContextLength;

        // The whole step, as the throughput benchmark takes it.
        manual_seed(1337);
        using var model = new Gpt(c);
        using var adamw = OptimizerFactory.AdamW(model, new AdamWSettings(Lr: 3e-3));
        var runner = new StepRunner(model, adamw, new LrSchedule(3e-3, 3e-4, 5, 100));
        var idx = randint(0, V, [B, T]).DetachFromDisposeScope();
        var targets = randint(0, V, [B, T]).DetachFromDisposeScope();
        double stepMs = FastestMs(() => runner.Step(0, 1, _ => model.Loss(idx, targets)), 5);
        double forwardBackwardMs = FastestMs(() => model.Loss(idx, targets).backward(), 5);
        adamw.zero_grad();

        var rows = new List<(string Op, double Flops, double Ms)>();
        void Linear(string name, long inF, long outF, int count)
        {
            using var scope = NewDisposeScope();
            var x = randn(M, inF); var w = randn(outF, inF); var g = randn(M, outF);
            double flops = 2.0 * M * inF * outF * count;
            rows.Add(($"{name} forward ({M}×{inF}·{inF}×{outF})", flops, count * FastestMs(() => F.linear(x, w))));
            rows.Add(($"{name} input grad ({M}×{outF}·{outF}×{inF})", flops, count * FastestMs(() => mm(g, w))));
            rows.Add(($"{name} weight grad ({outF}×{M}·{M}×{inF})", flops, count * FastestMs(() => mm(g.t(), x))));
        }
        Linear("q/k/v", C, 3 * C, c.Depth);
        Linear("o", C, C, c.Depth);
        Linear("mlp up", C, Hd, c.Depth);
        Linear("mlp down", Hd, C, c.Depth);
        Linear("head", C, V, 1);
        double notInStep = 0;   // SDPA's row when the step runs the kernel instead
        using (NewDisposeScope())
        {
            var q = randn(B, H, T, D, requires_grad: true); var k = randn(B, H, T, D, requires_grad: true);
            var v = randn(B, H, T, D, requires_grad: true); var gy = randn(B, H, T, D);
            double flops = 12.0 * c.Depth * C * T * M;   // the model's count: QKᵀ and AV over the full window, ×3
            rows.Add(("attention forward + backward (SDPA, causal; not used by the step when the kernel applies)", flops,
                c.Depth * FastestMs(() => F.scaled_dot_product_attention(q, k, v, is_casual: true).backward([gy]))));
            if (CausalAttentionFunction.Applies(q, k, v))
            {
                notInStep = rows[^1].Ms;
                var gyFlat = randn(B, T, H * D);
                rows.Add(("attention forward + backward (CausalAttentionFunction: what the step runs)", flops,
                    c.Depth * FastestMs(() => CausalAttentionFunction.Apply(q, k, v).backward([gyFlat]))));
            }
        }
        using (NewDisposeScope())
        {
            var logits = randn(M, V, requires_grad: true); var y = randint(0, V, [M]);
            rows.Add(("cross-entropy forward + backward", 0, FastestMs(() => F.cross_entropy(logits, y).backward())));
        }
        double optimizerMs = stepMs - forwardBackwardMs;
        rows.Add(("clip + AdamW + zero_grad (whole step − forward/backward)", 0, optimizerMs));
        double measured = rows.Sum(r => r.Ms) - notInStep;
        rows.Add(("the rest: norms, rotary, ReLU², adds, embedding, autograd (step − all above)", 0, stepMs - measured));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stable fp32 peak {peak.Fp32Gflops:F1} GFLOP/s; step {stepMs:F0} ms (forward+backward {forwardBackwardMs:F0}), " +
            $"{c.TrainingFlopsPerToken(T) * M / 1e9:F1} model GFLOP → MFU {100 * peak.Mfu(c.TrainingFlopsPerToken(T) * M / (stepMs / 1e3)):F1}%"));
        Console.WriteLine("| op | GFLOP | ms | % of step | GFLOP/s | % of peak |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (op, flops, ms) in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {op} | {(flops > 0 ? (flops / 1e9).ToString("F2", CultureInfo.InvariantCulture) : "")} | {ms:F1} | {100 * ms / stepMs:F1} | " +
                $"{(flops > 0 ? (flops / ms / 1e6).ToString("F0", CultureInfo.InvariantCulture) : "")} | " +
                $"{(flops > 0 ? (100 * peak.Mfu(flops / ms * 1e3)).ToString("F0", CultureInfo.InvariantCulture) : "")} |"));
        Console.WriteLine($"{threads} thread(s), load average after: {Machine.LoadAverage()}");
        return 0;
    }

    static double FastestMs(Action action, int repeats = 4)
    {
        using (NewDisposeScope()) action(); // warm-up
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}

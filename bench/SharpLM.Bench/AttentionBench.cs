using System.Diagnostics;
using System.Globalization;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Bench;

/// <summary>
/// Training attention alone, forward + backward at the reference shape (B 16, 4 heads of 64, context 256, fp32), side by
/// side: libtorch's <c>scaled_dot_product_attention</c> (causal) against <see cref="CausalAttentionFunction"/> with its
/// AVX-512 tiles and with its AVX2 ones (what a machine without AVX-512 runs). The candidates alternate within each round, so a disturbance
/// hits all of them; each prints its fastest and mean time and GFLOP/s counted on the causal work only (the products
/// below and on the diagonal: 6·D·T(T+1) per head), the work any causal kernel must do. The output and gradients of each
/// candidate are compared with SDPA's first.
/// </summary>
public sealed class AttentionBench : IBenchmark
{
    public string Name => "attention";
    public string Description =>
        "training attention forward+backward: SDPA vs CausalAttentionFunction [--threads N --rounds N --repeats N --batch N --context N --pin-dotnet-threads]";

    public int Run(string[] args)
    {
        int threads = int.Parse(Machine.Arg(args, "--threads", "2"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(Machine.Arg(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        int repeats = int.Parse(Machine.Arg(args, "--repeats", "5"), CultureInfo.InvariantCulture);
        var c = MachineInfo.Reference;
        int B = int.Parse(Machine.Arg(args, "--batch", "16"), CultureInfo.InvariantCulture);
        int T = int.Parse(Machine.Arg(args, "--context", c.ContextLength.ToString(CultureInfo.InvariantCulture)),
            CultureInfo.InvariantCulture);
        int H = c.Heads, D = c.HeadSize;
        Console.WriteLine($"load average before: {Machine.LoadAverage()}; {Machine.CpuLine()}");
        Machine.PinOpenMpThreads();
        TorchRuntime.Apply(new TorchSettings(threads, Seed: 1337));
        Console.WriteLine(Machine.ReleaseDotNetThreadsUnlessPinned(args));
        var peak = MatmulPeak.Stable(threads);
        double causalFlops = 6.0 * D * T * (T + 1.0) * B * H;

        manual_seed(1337);
        var q = randn(B, H, T, D, requires_grad: true).DetachFromDisposeScope();
        var k = randn(B, H, T, D, requires_grad: true).DetachFromDisposeScope();
        var v = randn(B, H, T, D, requires_grad: true).DetachFromDisposeScope();
        var gy = randn(B, T, H * D).DetachFromDisposeScope();
        // Each candidate: its forward, and whether the kernel's AVX-512 tiles run (set for its forward and backward).
        var candidates = new List<(string Name, Func<Tensor> Forward, bool Avx512)>
        {
            ("SDPA (libtorch, causal)", () => F.scaled_dot_product_attention(q, k, v, is_casual: true)
                .transpose(1, 2).reshape(B, T, H * D), true),
            ("C# kernel (tiles to the diagonal, recomputed probabilities)", () => CausalAttentionFunction.Apply(q, k, v), true),
            ("C# kernel, AVX2 tiles", () => CausalAttentionFunction.Apply(q, k, v), false),
        };

        (Tensor Y, Tensor Dq, Tensor Dk, Tensor Dv) Run(Func<Tensor> forward, bool avx512)
        {
            foreach (var t in new[] { q, k, v }) t.grad?.zero_();
            CausalAttentionFunction.Avx512Tiles = avx512;
            var y = forward();
            y.backward([gy]);
            CausalAttentionFunction.Avx512Tiles = true;
            return (y.detach(), q.grad!.clone(), k.grad!.clone(), v.grad!.clone());
        }
        using (NewDisposeScope())
        {
            var reference = Run(candidates[0].Forward, true);
            foreach (var (name, forward, avx512) in candidates.Skip(1))
            {
                var got = Run(forward, avx512);
                double Diff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: max |Δ| vs SDPA: y {Diff(got.Y, reference.Y):E1}, dq {Diff(got.Dq, reference.Dq):E1}, " +
                    $"dk {Diff(got.Dk, reference.Dk):E1}, dv {Diff(got.Dv, reference.Dv):E1}"));
            }
        }

        var times = candidates.Select(_ => new List<double>()).ToList();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < candidates.Count; i++)
                for (int n = 0; n < repeats; n++)
                {
                    using var scope = NewDisposeScope();
                    foreach (var t in new[] { q, k, v }) t.grad = null;
                    CausalAttentionFunction.Avx512Tiles = candidates[i].Avx512;
                    var clock = Stopwatch.StartNew();
                    candidates[i].Forward().backward([gy]);
                    times[i].Add(clock.Elapsed.TotalMilliseconds);
                    CausalAttentionFunction.Avx512Tiles = true;
                }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"B {B}, {H} heads of {D}, context {T}, fp32, {threads} thread(s); {rounds} rounds × {repeats} repeats, " +
            $"alternating; causal work {causalFlops / 1e9:F2} GFLOP per layer; stable fp32 peak {peak.Fp32Gflops:F1} GFLOP/s"));
        Console.WriteLine("| candidate | fastest ms | mean ms | ms per step (×4 layers, mean) | GFLOP/s (fastest, causal) | % of peak |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (int i = 0; i < candidates.Count; i++)
        {
            double best = times[i].Min(), mean = times[i].Average();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {candidates[i].Name} | {best:F2} | {mean:F2} | {c.Depth * mean:F1} | {causalFlops / best / 1e6:F0} | " +
                $"{100 * peak.Mfu(causalFlops / best * 1e3):F0} |"));
        }
        Console.WriteLine($"load average after: {Machine.LoadAverage()}");
        return 0;
    }
}

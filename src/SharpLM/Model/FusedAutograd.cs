using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Model;

/// <summary>
/// What the fused training functions (<see cref="RmsNormFunction"/>, <see cref="QkNormRotaryFunction"/>,
/// <see cref="ReluSquaredFunction"/>, <see cref="CausalAttentionFunction"/>) share. Each replaces a chain of libtorch
/// element-wise ops — and the intermediates autograd keeps between them — by one C# pass forward and one backward over
/// contiguous fp32 memory, through TorchSharp's custom autograd functions. Those hold on to more than the functions need,
/// so this class lets go of it:
/// <list type="bullet">
/// <item>TorchSharp keeps an <c>empty_like</c> of every output for the node's life (to stand in for a missing output
/// gradient); our outputs always get their gradient, so the copy is freed at once (<see cref="DropOutputCache"/>).</item>
/// <item>Tensors saved with <c>save_for_backward</c> live until the graph is disposed (its C# node does not release them
/// after running), so the functions keep their own references (<see cref="Saved"/>) and free them in backward.</item>
/// <item>The gradient tensors a backward returns, and the ones it receives, are C# handles in the step's dispose scope:
/// received ones are disposed once read, returned ones when the next fused function runs (<see cref="Return"/>), after
/// libtorch has taken its own reference.</item>
/// </list>
/// </summary>
public static class FusedAutograd
{
    /// <summary>Whether the fused path applies to <paramref name="x"/>: a training forward pass over contiguous fp32 on the CPU.</summary>
    public static bool Applies(Tensor x) =>
        x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU && is_grad_enabled() && x.requires_grad
        && x.is_contiguous() && x.numel() < int.MaxValue;

    [ThreadStatic] static List<Tensor>? t_returned;

    /// <summary>Frees the gradients the previous backward returned (libtorch holds its own references by now).</summary>
    internal static void ReleaseReturned()
    {
        if (t_returned is null) return;
        foreach (var t in t_returned) t.Dispose();
        t_returned.Clear();
    }

    /// <summary>The list a backward returns: one entry per forward argument, null where no gradient.</summary>
    internal static List<Tensor> Return(params Tensor?[] gradients)
    {
        ReleaseReturned();
        (t_returned ??= []).AddRange(gradients.OfType<Tensor>());
        return gradients.ToList()!;
    }

    /// <summary>An incoming gradient as contiguous fp32 (a copy only when it is not), with the received handle disposed.</summary>
    internal static Tensor Contiguous(Tensor gradient)
    {
        if (gradient.is_contiguous()) return gradient;
        using (gradient) return gradient.contiguous();
    }

    static readonly FieldInfo? NodeOfContext =
        typeof(autograd.AutogradContext).GetField("_node", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>
    /// Whether the last <see cref="DropOutputCache"/> found the copies (TorchSharp 0.107's private layout; a test checks it,
    /// so an upgrade that moves them is noticed rather than silently costing memory).
    /// </summary>
    public static bool LastDropFound { get; private set; }

    /// <summary>
    /// After a single-output function's <c>apply</c>: frees the node's output copy (<see cref="DropOutputCache"/>) and
    /// forward's own handle of the output (the caller holds autograd's), and clears the thread's slots for the next call.
    /// </summary>
    internal static void ForgetForward(ref autograd.AutogradContext? context, ref Tensor? output)
    {
        DropOutputCache(context!);
        output!.Dispose();
        (context, output) = (null, null);
    }

    /// <summary>Frees the <c>empty_like</c> copy of each output that TorchSharp's node keeps (see the class summary).</summary>
    internal static void DropOutputCache(autograd.AutogradContext context)
    {
        var node = NodeOfContext?.GetValue(context);
        var cache = node?.GetType().GetField("_outputCache", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(node)
            as List<Tensor>;
        LastDropFound = cache is not null;
        if (cache is null) return;
        for (int i = 0; i < cache.Count; i++)
        {
            cache[i]?.Dispose();
            cache[i] = null!;
        }
    }

    /// <summary>Tensors a forward keeps for its backward, as its own handles; disposed by the backward that reads them.</summary>
    internal sealed class Saved(params Tensor?[] tensors) : IDisposable
    {
        public Tensor? this[int i] => tensors[i];

        public void Dispose()
        {
            foreach (var t in tensors) t?.Dispose();
        }
    }

    /// <summary>Runs part(from, to) over [0, count) split in libtorch's thread count of ranges.</summary>
    internal static void Split(long count, Action<int, long, long> part)
    {
        int parts = (int)Math.Clamp(count / 64, 1, Math.Max(1, get_num_threads()));
        if (parts == 1) { part(0, 0, count); return; }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            p => part(p, count * p / parts, count * (p + 1) / parts));
    }

    /// <summary>Σ a·b·c over n floats.</summary>
    internal static unsafe float Dot(float* a, float* b, float* c, int n)
    {
        int i = 0, w = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        for (; i + w <= n; i += w)
            acc += Unsafe.ReadUnaligned<Vector<float>>(a + i) * Unsafe.ReadUnaligned<Vector<float>>(b + i)
                   * Unsafe.ReadUnaligned<Vector<float>>(c + i);
        float sum = Vector.Sum(acc);
        for (; i < n; i++) sum += a[i] * b[i] * c[i];
        return sum;
    }

    /// <summary>y = x·s·w (w null: x·s) over n floats.</summary>
    internal static unsafe void Scale(float* x, float* y, float s, float* w, int n)
    {
        int i = 0, width = Vector<float>.Count;
        var vs = new Vector<float>(s);
        if (w is null)
        {
            for (; i + width <= n; i += width) Unsafe.WriteUnaligned(y + i, Unsafe.ReadUnaligned<Vector<float>>(x + i) * vs);
            for (; i < n; i++) y[i] = x[i] * s;
            return;
        }
        for (; i + width <= n; i += width)
            Unsafe.WriteUnaligned(y + i, Unsafe.ReadUnaligned<Vector<float>>(x + i) * vs * Unsafe.ReadUnaligned<Vector<float>>(w + i));
        for (; i < n; i++) y[i] = x[i] * s * w[i];
    }

    /// <summary>
    /// The RMSNorm backward of one row: dx = s·dy·w − x·s³·(Σ dy·w·x)/n, and dwAcc += dy·x·s when w is given (w null: as
    /// w = 1). s is the row's 1/rms.
    /// </summary>
    internal static unsafe void NormBackwardRow(float* x, float* dy, float* dx, float s, float* w, float* dwAcc, int n)
    {
        float a = w is null ? SmallBatchLinear.Dot(dy, x, n, SmallBatchLinear.BestVectorBits) : Dot(dy, w, x, n);
        float c = s * s * s * a / n;
        int i = 0, width = Vector<float>.Count;
        Vector<float> vs = new(s), vc = new(c);
        for (; i + width <= n; i += width)
        {
            var xv = Unsafe.ReadUnaligned<Vector<float>>(x + i);
            var g = Unsafe.ReadUnaligned<Vector<float>>(dy + i);
            var gw = w is null ? g : g * Unsafe.ReadUnaligned<Vector<float>>(w + i);
            Unsafe.WriteUnaligned(dx + i, vs * gw - xv * vc);
            if (w is not null) Unsafe.WriteUnaligned(dwAcc + i, Unsafe.ReadUnaligned<Vector<float>>(dwAcc + i) + g * xv * vs);
        }
        for (; i < n; i++)
        {
            float gw = w is null ? dy[i] : dy[i] * w[i];
            dx[i] = s * gw - x[i] * c;
            if (w is not null) dwAcc[i] += dy[i] * x[i] * s;
        }
    }

    /// <summary>One partial sum of a weight gradient per part <see cref="Split"/> makes, each n doubles.</summary>
    internal static double[][] Partials(int n) => [.. Enumerable.Range(0, Math.Max(1, get_num_threads())).Select(_ => new double[n])];

    /// <summary>
    /// Adds a block of rows' float sums of a weight gradient into its part's partial sum (blocks are summed in float, the
    /// blocks in double, so long row counts lose no precision).
    /// </summary>
    internal static unsafe void AddInto(double[] partial, float* block, int n)
    {
        for (int i = 0; i < n; i++) partial[i] += block[i];
    }

    /// <summary>The parts' partial sums added, as the weight gradient (n floats).</summary>
    internal static Tensor Total(double[][] partials, Device device)
    {
        var sum = new float[partials[0].Length];
        for (int i = 0; i < sum.Length; i++) sum[i] = (float)partials.Sum(p => p[i]);
        return tensor(sum, ScalarType.Float32, device);
    }
}

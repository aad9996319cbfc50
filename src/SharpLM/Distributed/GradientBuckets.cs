using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Distributed;

/// <summary>
/// All parameters' gradients in one flat fp32 buffer, so averaging them over ranks costs a few large all-reduces instead of
/// one per tensor: each parameter's <c>.grad</c> is a view into the buffer (autograd accumulates into it in place, and
/// TorchSharp's <c>zero_grad</c> zeroes it in place). The buffer is reduced in buckets of about
/// <see cref="DefaultBucketBytes"/>, last parameters first — the order backward finishes them.
/// </summary>
/// <remarks>
/// Overlapping the reduction of finished buckets with the rest of backward, as PyTorch DDP does, needs a hook that fires
/// when a parameter's gradient is ready; TorchSharp 0.107 exposes none (no Tensor.register_hook, no post-accumulate-grad
/// hook; modules have forward hooks only), so the buckets are reduced after backward.
/// </remarks>
public sealed class GradientBuckets : IDisposable
{
    public const long DefaultBucketBytes = 25L << 20;

    readonly IReadOnlyList<Parameter> _parameters;
    readonly World _world;
    readonly Tensor _flat;
    readonly long[] _offsets;
    readonly List<(long Start, long Length)> _buckets = [];

    public GradientBuckets(IReadOnlyList<Parameter> parameters, World world, long bucketBytes = DefaultBucketBytes)
    {
        _parameters = parameters;
        _world = world;
        _offsets = new long[parameters.Count + 1];
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].dtype != ScalarType.Float32)
                throw new NotSupportedException($"gradient buckets hold fp32 parameters, not {parameters[i].dtype}");
            _offsets[i + 1] = _offsets[i] + parameters[i].numel();
        }
        _flat = zeros(_offsets[^1], ScalarType.Float32, parameters.Count > 0 ? parameters[0].device : CPU);
        Attach();

        long bucketElements = Math.Max(1, bucketBytes / sizeof(float)), end = _offsets[^1];
        for (int i = parameters.Count - 1; i >= 0; i--)
            if (end - _offsets[i] >= bucketElements || i == 0)
            {
                _buckets.Add((_offsets[i], end - _offsets[i]));
                end = _offsets[i];
            }
    }

    /// <summary>Elements in all gradients.</summary>
    public long Elements => _offsets[^1];

    /// <summary>Buckets reduced per step.</summary>
    public int Buckets => _buckets.Count;

    /// <summary>Sums every gradient over all ranks, in place (the loss was already scaled by 1 / global micro-batches).</summary>
    public void AllReduce()
    {
        Attach();
        foreach (var (start, length) in _buckets)
        {
            using var bucket = _flat.narrow(0, start, length);
            _world.AllReduce(bucket);
        }
    }

    /// <summary>
    /// Points each <c>.grad</c> at its slice of the buffer; a gradient that was replaced (an optimizer that sets it to
    /// none, a caller that assigned one) is copied back in first, so the reduction always sees every gradient.
    /// </summary>
    void Attach()
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            var view = _flat.narrow(0, _offsets[i], _offsets[i + 1] - _offsets[i]).view(p.shape);
            var grad = p.grad;
            if (grad is not null && SameMemory(grad, view))
            {
                view.Dispose();
                continue;
            }
            if (grad is null) view.zero_();
            else view.copy_(grad);
            p.grad = view;
        }
    }

    static unsafe bool SameMemory(Tensor a, Tensor b)
    {
        if (!a.is_contiguous() || a.numel() != b.numel() || a.numel() == 0) return false;
        fixed (byte* pa = a.bytes)
        fixed (byte* pb = b.bytes)
            return pa == pb;
    }

    public void Dispose() => _flat.Dispose();
}

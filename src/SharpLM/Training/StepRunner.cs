using SharpLM.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>What one optimizer step did.</summary>
/// <param name="Loss">Mean loss over the micro-batches (NaN or ∞ when it diverged; the weights were then left untouched).</param>
/// <param name="GradNorm">Global L2 norm of the gradient before clipping.</param>
/// <param name="Lr">Learning rate used for this step.</param>
public sealed record StepResult(double Loss, double GradNorm, double Lr)
{
    public bool IsFinite => double.IsFinite(Loss) && double.IsFinite(GradNorm);
}

/// <summary>
/// The one place every stage (pretraining, SFT, reward model, DPO…) takes an optimizer step: set the scheduled rate, run
/// forward/backward over the micro-batches (gradient accumulation), clip, step, zero the gradients — all inside one dispose
/// scope, with a periodic <see cref="GC.Collect()"/>, because TorchSharp's AdamW otherwise leaks tens of MB per step.
/// A stage differs only in the callback that returns the loss of micro-batch i.
/// On several ranks (<see cref="World"/>) each rank runs its share of the step's micro-batches, and the gradients (one flat
/// buffer, <see cref="GradientBuckets"/>) and the loss are summed over ranks before clipping, so every rank takes the
/// same optimizer step as one process running all the micro-batches would.
/// </summary>
public sealed class StepRunner : IDisposable
{
    readonly IReadOnlyList<Parameter> _parameters;
    readonly OptimizerHelper _optimizer;
    readonly LrSchedule _schedule;
    readonly double _gradClip;
    readonly int _gcEvery;
    readonly World _world;
    readonly GradientBuckets? _buckets;
    readonly FlatAdamW? _flat;
    long _stepsTaken;

    /// <param name="model">The module whose trainable parameters get clipped.</param>
    /// <param name="optimizer">Usually from <see cref="OptimizerFactory.AdamW"/>.</param>
    /// <param name="schedule">Rate per step.</param>
    /// <param name="gradClip">Max global gradient norm; 0 disables clipping (the norm is still measured).</param>
    /// <param name="gcEvery">Run <see cref="GC.Collect()"/> every this many steps. Every step by default: native tensors
    /// that wait for the collector sit between the next steps' activations and fragment malloc's heap, which then grows
    /// (reference configuration: peak RSS 1,446 MB after 13 steps with 10, 1,066 MB with 1; bench/RESULTS.md, b2).</param>
    /// <param name="world">The ranks sharing each step; null: this process alone.</param>
    public StepRunner(nn.Module model, OptimizerHelper optimizer, LrSchedule schedule, double gradClip = 1.0, int gcEvery = 1,
        World? world = null)
    {
        _parameters = model.parameters().Where(p => p.requires_grad).ToList();
        _optimizer = optimizer;
        _schedule = schedule;
        _gradClip = gradClip;
        _gcEvery = Math.Max(1, gcEvery);
        _world = world ?? World.Single;
        if (_world.IsDistributed) _buckets = new GradientBuckets(_parameters, _world);
        // A flat optimizer over exactly these parameters clips with one norm over its gradient buffer.
        _flat = optimizer is FlatAdamW flat && flat.Holds(_parameters.ToList()) ? flat : null;
    }

    /// <summary>
    /// One optimizer step at 0-based <paramref name="step"/> over <paramref name="microBatches"/> micro-batches (of the
    /// whole job: this rank runs its equal share of them, refused when uneven).
    /// <paramref name="microLoss"/>(i) returns the scalar mean loss of micro-batch i; each is scaled by 1/microBatches so the
    /// accumulated gradient is that of the mean. Tensors created in the callback are freed when the step ends. A non-finite
    /// loss or gradient skips the update, so the weights stay the last good ones; the caller decides to stop.
    /// </summary>
    /// <summary>Seconds the last step spent summing gradients over ranks (0 on one process).</summary>
    public double LastReduceSeconds { get; private set; }

    public StepResult Step(long step, int microBatches, Func<int, Tensor> microLoss)
    {
        double lr = _schedule.At(step);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
        double lossSum = 0, gradNorm;
        using (NewDisposeScope())
        {
            _optimizer.zero_grad();
            var (first, count) = _world.Share(microBatches, "micro-batches per optimizer step");
            for (int i = first; i < first + count; i++)
            {
                var loss = microLoss(i);
                lossSum += loss.item<float>();
                (loss / microBatches).backward();
            }
            if (_buckets is not null)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                _buckets.AllReduce();
                lossSum = _world.Sum(lossSum);
                LastReduceSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            double maxNorm = _gradClip > 0 ? _gradClip : double.PositiveInfinity;
            gradNorm = _flat?.ClipGradNorm(maxNorm) ?? nn.utils.clip_grad_norm_(_parameters, maxNorm);
            if (double.IsFinite(lossSum) && double.IsFinite(gradNorm)) _optimizer.step();
            _optimizer.zero_grad();
        }
        // The gradients the last fused backward returned would otherwise live until the next step's first fused function,
        // a block sitting between that step's activations.
        Model.FusedAutograd.ReleaseReturned();
        if (++_stepsTaken % _gcEvery == 0) GC.Collect();
        return new StepResult(lossSum / microBatches, gradNorm, lr);
    }

    public void Dispose() => _buckets?.Dispose();
}

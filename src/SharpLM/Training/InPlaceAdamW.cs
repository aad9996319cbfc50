using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>
/// TorchSharp's AdamW with the same update, op for op, but each parameter's temporaries freed as soon as that parameter
/// is updated. TorchSharp runs the whole step in one dispose scope, so its two parameter-sized temporaries per
/// parameter (√v and √v / √(1 − β₂ᵗ)) all stay alive until the last parameter is done: 8 bytes per parameter on top of
/// weights, gradients and moments (16), the largest single cost of a step for big models (issue 18; bench/RESULTS.md, b2).
/// State, options and checkpoints are the base class's; amsgrad and maximize fall back to the base implementation.
/// </summary>
public sealed class InPlaceAdamW : AdamW
{
    public InPlaceAdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(groups, lr, beta1, beta2, eps, weightDecay) { }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        var groups = ParamGroups.Cast<ParamGroup>().ToList();
        if (closure is not null || groups.Any(g => g.Options.amsgrad == true || g.Options.maximize == true))
            return base.step(closure);
        using var noGrad = no_grad();
        foreach (var group in groups)
        {
            var o = group.Options;
            double beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, eps = o.eps!.Value, lr = o.LearningRate!.Value;
            double decay = o.weight_decay!.Value;
            foreach (var param in group.Parameters)
            {
                using var scope = NewDisposeScope();
                var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                if (decay != 0) param.mul_(1 - lr * decay);
                double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1);
                state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                var denom = state.exp_avg_sq.sqrt().div_(Math.Sqrt(correction2)).add_(eps);
                param.addcdiv_(state.exp_avg, denom, value: -lr / correction1);
            }
        }
        return null!;
    }
}

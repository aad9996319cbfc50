using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Alignment;

/// <summary>The DPO loss and the implicit rewards β·(log π − log π_ref) of each answer, per pair.</summary>
public sealed record DpoTerms(Tensor Loss, Tensor ChosenRewards, Tensor RejectedRewards);

/// <summary>Losses over preference pairs: Bradley–Terry for a reward model, DPO for a policy.</summary>
public static class PreferenceLosses
{
    /// <summary>Bradley–Terry: mean over pairs of −log σ(r_chosen − r_rejected). Inputs (B).</summary>
    public static Tensor BradleyTerry(Tensor chosen, Tensor rejected) => -F.logsigmoid(chosen - rejected).mean();

    /// <summary>
    /// DPO (Rafailov et al. 2023): mean over pairs of −log σ(β·((π_c − ref_c) − (π_r − ref_r))), where each argument (B) is the
    /// summed log-probability of the answer's tokens under the policy or the frozen reference.
    /// </summary>
    public static DpoTerms Dpo(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected, double beta)
    {
        var chosen = beta * (policyChosen - refChosen);                                  // (B)
        var rejected = beta * (policyRejected - refRejected);                            // (B)
        return new DpoTerms(-F.logsigmoid(chosen - rejected).mean(), chosen.detach(), rejected.detach());
    }
}

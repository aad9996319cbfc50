using System.Globalization;
using SharpLM.Core;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// GRPO (Shao et al. 2024): each iteration samples <see cref="RlOptions.Group"/> answers to each of
/// <see cref="RlOptions.Rollouts"/> prompts in one batched generation call, scores them with any reward function, and uses
/// each answer's reward normalised within its group (<see cref="GroupAdvantages"/>) as the advantage of all its tokens — no
/// value model; optionally mixed with each answer's reward against its prompt kind's running mean (<see cref="KindBaseline"/>).
/// Loss: the clipped surrogate plus β·k3 KL to the frozen reference, averaged over answer tokens.
/// </summary>
/// <param name="world">The ranks training together (see <see cref="RlSession"/>); null: this process alone.</param>
public sealed class GrpoTrainer(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null, Distributed.World? world = null)
{
    public const string Stage = "grpo";

    public RlResult Run(RlOptions o)
    {
        using var setup = PolicySetup.Load(o with { Threads = (world ?? Distributed.World.Single).Threads(o.Threads) }, world);
        using var session = RlSession.Open(o, Stage, setup.Policy, setup.Policy, setup.Tokenizer, _ => { }, log, setup.Precision, world);
        log?.Invoke($"grpo: {setup.Prompts.Count} prompts, reward {setup.Reward.Name}, {o.Rollouts} prompts × {o.Group} answers × {o.Steps} iterations, β {o.KlCoef.ToString(CultureInfo.InvariantCulture)}");
        log?.Invoke($"grpo: {setup.PromptFitLine}");
        if (o.KindBaseline > 0) log?.Invoke($"grpo: {o.KindBaseline.ToString(CultureInfo.InvariantCulture)} of each advantage against its kind's running mean reward");
        var baseline = new KindBaseline(); // restarts on resume: the first iteration's kind means stand in
        return session.Loop(setup, step => setup.PromptsFor(o, step).SelectMany(p => Enumerable.Repeat(p, o.Group)).ToList(),
            (rollouts, step) => Update(setup, rollouts, o, step, session, baseline), setup.Template.Save, progress);
    }

    static RlStep Update(PolicySetup setup, RolloutBatch rollouts, RlOptions o, long step, RlSession session, KindBaseline baseline)
    {
        using var scope = NewDisposeScope();
        using var batch = SequenceBatch.Build(rollouts.Rows, setup.Device);
        var mask = batch.Mask;
        Tensor oldLogp, entropy, refLogp;
        using (no_grad())
        {
            (oldLogp, entropy) = batch.TokenLogProbsAndEntropy(setup.Policy.forward(batch.Ids), o.Temperature); // (B, T−1) each
            refLogp = batch.TokenLogProbs(setup.Reference.forward(batch.Ids), o.Temperature);                   // (B, T−1)
        }
        var perAnswer = o.KindBaseline > 0
            ? baseline.Advantages(rollouts.Scores, o.Group, setup.KindLanguagesOf(rollouts.Prompts), o.KindBaseline)
            : GroupAdvantages.Normalize(rollouts.Scores, o.Group);
        var advantages = tensor(perAnswer, device: setup.Device).unsqueeze(1) * mask; // (B, T−1)
        double clipSum = 0, lossSum = 0;
        int updates = session.Updates(step, rollouts.Rows.Count, rows =>
        {
            using var index = tensor(rows, device: setup.Device);
            using var mini = batch.Rows(rows);
            var logp = mini.TokenLogProbs(setup.Policy.forward(mini.Ids), o.Temperature);
            var policy = PpoLosses.Policy(logp, oldLogp.index_select(0, index), advantages.index_select(0, index), mini.Mask, o.Clip);
            clipSum += policy.ClipFraction.item<float>();
            lossSum += policy.Loss.item<float>();
            return o.KlCoef > 0
                ? policy.Loss + o.KlCoef * PpoLosses.MaskedMean(PpoLosses.KlK3(logp, refLogp.index_select(0, index)), mini.Mask)
                : policy.Loss;
        });
        var rowKl = (PpoLosses.KlK1(oldLogp, refLogp) * mask).sum(1).cpu().data<float>().ToArray();
        var rowEntropy = ((entropy * mask).sum(1) / mask.sum(1).clamp_min(1)).cpu().data<float>().ToArray();
        var lengths = rollouts.Rows.Select(r => r.Response.Length).ToArray();
        return new RlStep(step + 1, rollouts.Scores.Average(), rowKl.Average(), PpoLosses.MaskedMean(entropy, mask).item<float>(),
            lengths.Average(), clipSum / updates, lossSum / updates, 0, o.KlCoef,
            KindAverages.Of(setup.KindsOf(rollouts.Prompts), rollouts.Scores, rowKl, rowEntropy, lengths));
    }
}

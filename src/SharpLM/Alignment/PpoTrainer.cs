using System.Globalization;
using SharpLM.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// InstructGPT-style PPO. Each iteration samples one answer per prompt with the batched
/// <see cref="SharpLM.Inference.Generator"/> at <see cref="RlOptions.Temperature"/> (the same temperature every log-probability
/// uses), scores it (normally with a reward model), normalises the scores (<see cref="RewardNormalizer"/>), subtracts
/// <see cref="RlOptions.NoEndPenalty"/> from answers cut at the token limit, adds the per-token KL penalty
/// −β·(log π − log π_ref) to the frozen SFT reference (β fixed or adaptive, see <see cref="KlController"/>), computes GAE
/// advantages (<see cref="PpoAdvantages"/>) from a separate <see cref="Critic"/>, then runs <see cref="RlOptions.Epochs"/>
/// passes of clipped-surrogate updates for the policy and clipped-value updates for the critic, each with its own optimizer,
/// learning rate and gradient clip. For the first <see cref="RlOptions.ValueWarmup"/> iterations only the critic learns.
/// </summary>
/// <param name="world">The ranks training together (see <see cref="RlSession"/>); null: this process alone.</param>
public sealed class PpoTrainer(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null, Distributed.World? world = null)
{
    public const string Stage = "ppo";

    public RlResult Run(RlOptions o)
    {
        var ranks = world ?? Distributed.World.Single;
        using var setup = PolicySetup.Load(o with { Threads = ranks.Threads(o.Threads) }, world);
        using var critic = Critic.Create(Directory.Exists(o.Reward) ? o.Reward : null, o.Policy, setup.Device);
        ranks.Broadcast(critic); // every rank's critic starts from rank 0's
        using var criticOptimizer = Training.OptimizerFactory.AdamW(critic, new Training.AdamWSettings(o.ValueLr, 0.9, 0.95, 1e-8, 0.0));
        using var criticRunner = new Training.StepRunner(critic, criticOptimizer, new Training.LrSchedule(o.ValueLr, o.ValueLr, 0, 1),
            o.ValueGradClip, world: ranks);
        var kl = new KlController(o.KlCoef, o.TargetKl, o.KlHorizon);
        var normalizer = new RewardNormalizer();
        using var session = RlSession.Open(o, Stage, setup.Policy, setup.Policy, setup.Tokenizer, dir =>
        {
            critic.Load(dir);
            Training.OptimizerStateFile.Load(criticOptimizer, Path.Combine(dir, Critic.OptimizerFile));
            kl.Load(dir);
            normalizer.Load(dir);
        }, log, setup.Precision, world);
        void Files(string tmp)
        {
            critic.Save(tmp);
            criticOptimizer.save_state_dict(Path.Combine(tmp, Critic.OptimizerFile));
            kl.Save(tmp);
            normalizer.Save(tmp);
            setup.Template.Save(tmp);
        }
        log?.Invoke($"ppo: {setup.Prompts.Count} prompts, reward {setup.Reward.Name}, critic from the {critic.Origin}, {o.Rollouts} rollouts × {o.Steps} iterations, {kl}, temperature {o.Temperature.ToString(CultureInfo.InvariantCulture)}");
        log?.Invoke($"ppo: {setup.PromptFitLine}");
        return session.Loop(setup, step => setup.PromptsFor(o, step), (rollouts, step) =>
        {
            var s = Update(critic, criticRunner, setup, rollouts, o, kl.Coef, normalizer, step, session);
            kl.Update(s.Kl, rollouts.Rows.Count);
            return s;
        }, Files, progress);
    }

    static RlStep Update(Critic critic, Training.StepRunner criticRunner, PolicySetup setup, RolloutBatch rollouts, RlOptions o, double beta,
        RewardNormalizer normalizer, long step, RlSession session)
    {
        using var scope = NewDisposeScope();
        using var batch = SequenceBatch.Build(rollouts.Rows, setup.Device);
        Tensor oldLogp, oldValues, entropy, refLogp;
        using (no_grad())
        {
            (oldLogp, entropy) = batch.TokenLogProbsAndEntropy(setup.Policy.forward(batch.Ids), o.Temperature); // (B, T−1) each
            refLogp = batch.TokenLogProbs(setup.Reference.forward(batch.Ids), o.Temperature);                   // (B, T−1)
            oldValues = critic.Values(batch);                                                                   // (B, T−1)
        }
        var mask = batch.Mask;
        var kl = PpoLosses.KlK1(oldLogp, refLogp) * mask;                                                       // (B, T−1)
        var scores = o.NormalizeRewards ? normalizer.Normalize(rollouts.Scores) : [.. rollouts.Scores];
        var ended = SequenceBatch.Ended(rollouts.Rows, setup.Template.AssistantEndId);
        for (int b = 0; b < scores.Length; b++) if (!ended[b]) scores[b] -= (float)o.NoEndPenalty;
        int width = (int)mask.shape[1];
        var starts = batch.PromptLengths.Select(p => p - 1).ToArray();
        var lengths = rollouts.Rows.Select(r => r.Response.Length).ToArray();
        var (adv, ret) = PpoAdvantages.Compute(kl.cpu().data<float>().ToArray(), oldValues.cpu().data<float>().ToArray(), width, starts, lengths,
            scores, beta, o.Gamma, o.Lambda);
        var advantages = tensor(adv, mask.shape, device: setup.Device);
        var returns = tensor(ret, mask.shape, device: setup.Device);
        var stats = new double[3]; // clip fraction, policy loss, value loss sums
        bool warmup = step < o.ValueWarmup;
        int updates = warmup ? 0 : session.Updates(step, rollouts.Rows.Count, rows =>
        {
            using var index = tensor(rows, device: setup.Device);
            using var mini = batch.Rows(rows);
            var logp = mini.TokenLogProbs(setup.Policy.forward(mini.Ids), o.Temperature);
            var policy = PpoLosses.Policy(logp, oldLogp.index_select(0, index), advantages.index_select(0, index), mini.Mask, o.Clip);
            stats[0] += policy.ClipFraction.item<float>();
            stats[1] += policy.Loss.item<float>();
            return policy.Loss;
        });
        int criticUpdates = session.Updates(step, rollouts.Rows.Count, rows =>
        {
            using var index = tensor(rows, device: setup.Device);
            using var mini = batch.Rows(rows);
            var value = PpoLosses.Value(critic.Values(mini), oldValues.index_select(0, index), returns.index_select(0, index), mini.Mask, o.ValueClip);
            stats[2] += value.item<float>();
            return value;
        }, criticRunner);
        var rowKl = kl.sum(1).cpu().data<float>().ToArray();
        var rowEntropy = ((entropy * mask).sum(1) / mask.sum(1).clamp_min(1)).cpu().data<float>().ToArray();
        return new RlStep(step + 1, rollouts.Scores.Average(), rowKl.Average(), PpoLosses.MaskedMean(entropy, mask).item<float>(),
            lengths.Average(), stats[0] / Math.Max(1, updates), stats[1] / Math.Max(1, updates), stats[2] / Math.Max(1, criticUpdates), beta,
            KindAverages.Of(setup.KindsOf(rollouts.Prompts), rollouts.Scores, rowKl, rowEntropy, lengths));
    }
}

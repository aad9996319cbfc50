using System.Globalization;
using SharpLM.Core;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// InstructGPT-style PPO. Each iteration samples one answer per prompt with the batched
/// <see cref="SharpLM.Inference.Generator"/>, scores it (normally with a reward model) at its last token, subtracts the per-token KL penalty β·(log π − log π_ref) to the frozen
/// SFT reference (β fixed or adaptive, see <see cref="KlController"/>), computes GAE advantages (whitened) from the shared-trunk value head (see <see cref="PolicyWithValue"/> for
/// why shared), then runs <see cref="RlOptions.Epochs"/> passes of clipped-surrogate + clipped-value updates in mini-batches.
/// </summary>
/// <param name="world">The ranks training together (see <see cref="RlSession"/>); null: this process alone.</param>
public sealed class PpoTrainer(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null, Distributed.World? world = null)
{
    public const string Stage = "ppo";

    public RlResult Run(RlOptions o)
    {
        using var setup = PolicySetup.Load(o with { Threads = (world ?? Distributed.World.Single).Threads(o.Threads) }, world);
        using var model = new PolicyWithValue(setup.Policy);
        var kl = new KlController(o.KlCoef, o.TargetKl, o.KlHorizon);
        using var session = RlSession.Open(o, Stage, model, setup.Policy, setup.Tokenizer, dir =>
        {
            model.Value.load_safetensors(Path.Combine(dir, PolicyWithValue.ValueHeadFile), strict: true);
            kl.Load(dir);
        }, log, setup.Precision, world);
        void Files(string tmp)
        {
            model.Value.save_safetensors(Path.Combine(tmp, PolicyWithValue.ValueHeadFile));
            kl.Save(tmp);
            setup.Template.Save(tmp);
        }
        log?.Invoke($"ppo: {setup.Prompts.Count} prompts, reward {setup.Reward.Name}, {o.Rollouts} rollouts × {o.Steps} iterations, {kl}");
        log?.Invoke($"ppo: {setup.PromptFitLine}");
        return session.Loop(setup, step => setup.PromptsFor(o, step), (rollouts, step) =>
        {
            var s = Update(model, setup, rollouts, o, kl.Coef, step, session);
            kl.Update(s.Kl, rollouts.Rows.Count);
            return s;
        }, Files, progress);
    }

    static RlStep Update(PolicyWithValue model, PolicySetup setup, RolloutBatch rollouts, RlOptions o, double beta, long step, RlSession session)
    {
        using var scope = NewDisposeScope();
        using var batch = SequenceBatch.Build(rollouts.Rows, setup.Device);
        Tensor oldLogp, oldValues, entropy, refLogp;
        using (no_grad())
        {
            (oldLogp, oldValues, entropy) = model.Forward(batch);                                 // (B, T−1) each
            refLogp = batch.TokenLogProbs(setup.Reference.forward(batch.Ids));                     // (B, T−1)
        }
        var mask = batch.Mask;
        var kl = PpoLosses.KlK1(oldLogp, refLogp) * mask;                                         // (B, T−1)
        var (advantages, returns) = Advantages(batch, rollouts, kl, oldValues, beta, o);
        var stats = new double[3]; // clip fraction, policy loss, value loss sums
        int updates = session.Updates(step, rollouts.Rows.Count, rows =>
        {
            using var index = tensor(rows, device: setup.Device);
            using var mini = batch.Rows(rows);
            var (logp, values, _) = model.Forward(mini);
            var policy = PpoLosses.Policy(logp, oldLogp.index_select(0, index), advantages.index_select(0, index), mini.Mask, o.Clip);
            var value = PpoLosses.Value(values, oldValues.index_select(0, index), returns.index_select(0, index), mini.Mask, o.ValueClip);
            stats[0] += policy.ClipFraction.item<float>();
            stats[1] += policy.Loss.item<float>();
            stats[2] += value.item<float>();
            return policy.Loss + o.ValueCoef * value;
        });
        return new RlStep(step + 1, rollouts.Scores.Average(), kl.sum(1).mean().item<float>(), PpoLosses.MaskedMean(entropy, mask).item<float>(),
            rollouts.Rows.Average(r => r.Response.Length), stats[0] / updates, stats[1] / updates, stats[2] / updates, beta);
    }

    /// <summary>
    /// Per-token rewards −β·KL with the score added at each answer's last token, GAE over each answer's tokens, then the
    /// advantages whitened over all answer tokens. Both (B, T−1), zero outside answers.
    /// </summary>
    static (Tensor Advantages, Tensor Returns) Advantages(SequenceBatch batch, RolloutBatch rollouts, Tensor kl, Tensor values, double beta, RlOptions o)
    {
        long width = batch.Mask.shape[1];
        var klRows = kl.cpu().data<float>().ToArray();
        var valueRows = values.cpu().data<float>().ToArray();
        var advantages = new float[klRows.Length];
        var returns = new float[klRows.Length];
        for (int b = 0; b < rollouts.Rows.Count; b++)
        {
            int start = (int)(b * width) + batch.PromptLengths[b] - 1, n = rollouts.Rows[b].Response.Length;
            var rewards = new float[n];
            for (int t = 0; t < n; t++) rewards[t] = (float)(-beta * klRows[start + t]);
            rewards[n - 1] += rollouts.Scores[b];
            var (a, r) = Gae.Compute(rewards, valueRows.AsSpan(start, n), o.Gamma, o.Lambda);
            a.CopyTo(advantages, start);
            r.CopyTo(returns, start);
        }
        var shape = batch.Mask.shape;
        var adv = tensor(advantages, shape, device: batch.Mask.device);
        var mean = PpoLosses.MaskedMean(adv, batch.Mask);
        var std = PpoLosses.MaskedMean((adv - mean).square(), batch.Mask).sqrt();
        return ((adv - mean) / (std + 1e-8) * batch.Mask, tensor(returns, shape, device: batch.Mask.device));
    }
}

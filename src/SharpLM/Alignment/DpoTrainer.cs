using SharpLM.Core;
using SharpLM.Distributed;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// Direct preference optimisation: the policy starts as the base (SFT) model, whose log-probabilities of every pair's answers
/// are computed once up front as the frozen reference (the same numbers a second frozen copy would give, at no extra memory
/// or per-step cost); the loss is <see cref="PreferenceLosses.Dpo"/> on response tokens only, plus
/// <see cref="PreferenceTrainOptions.NllCoef"/> times the chosen answer's mean token NLL (RPO, Pang et al. 2024), which keeps
/// the chosen answer likely instead of only pushing the rejected one down. Every step logs the chosen and rejected
/// log-probabilities and implicit rewards (charted in dpo.png); held-out accuracy and margins at every evaluation.
/// </summary>
/// <param name="world">The ranks training together (see <see cref="PairTrainer"/>); null: this process alone.</param>
public sealed class DpoTrainer(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null, World? world = null)
{
    public const string Stage = "dpo";

    public PreferenceTrainResult Run(PreferenceTrainOptions o)
    {
        o.Validate();
        var device = TorchRuntime.Apply(new TorchSettings((world ?? World.Single).Threads(o.Threads), o.Seed, o.Device));
        using var loaded = RunFolder.LoadModel(o.Base, device);
        var policy = loaded.Model;
        var template = ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer) ?? new ChatTemplate(loaded.Tokenizer);
        var precision = PairTrainer.ChoosePrecision(o, world, policy);
        var (train, val) = PairTrainer.LoadPairs(o, template, loaded.Tokenizer, loaded.Config.ContextLength, line => log?.Invoke($"dpo: {line}"));
        train = WithReference(train, policy, o.BatchSize, device);
        val = WithReference(val, policy, o.BatchSize, device);
        PairLoss loss = (pairs, batch) =>
        {
            int n = pairs.Count;
            var logp = batch.ResponseLogProb(policy.forward(batch.Ids));                        // (2B)
            var refChosen = tensor(pairs.Select(p => p.RefChosen).ToArray(), device: device);   // (B)
            var refRejected = tensor(pairs.Select(p => p.RefRejected).ToArray(), device: device);
            var (chosen, rejected) = (logp.narrow(0, 0, n), logp.narrow(0, n, n));
            var terms = PreferenceLosses.Dpo(chosen, rejected, refChosen, refRejected, o.Beta);
            var chosenTokens = batch.Mask.narrow(0, 0, n).sum(1).clamp_min(1);                 // (B)
            var nll = -(chosen / chosenTokens).mean();
            var figures = new Dictionary<string, double>
            {
                ["chosen_logp"] = chosen.mean().item<float>(), ["rejected_logp"] = rejected.mean().item<float>(),
                ["chosen_reward"] = terms.ChosenRewards.mean().item<float>(), ["rejected_reward"] = terms.RejectedRewards.mean().item<float>(),
                ["nll"] = nll.item<float>(),
            };
            return new PairTerms(o.NllCoef > 0 ? terms.Loss + o.NllCoef * nll : terms.Loss, terms.ChosenRewards - terms.RejectedRewards, figures);
        };
        var result = new PairTrainer(Stage, progress, log, world)
            .Run(o, policy, policy, loaded.Tokenizer, train, val, loss, template.Save, _ => { }, device, precision);
        if ((world ?? World.Single).IsMain)
            DpoChart.Render(new MetricsLog(new RunFolder(o.Out).MetricsPath), Path.Combine(o.Out, DpoChart.FileName),
                $"dpo {Path.GetFileName(Path.GetFullPath(o.Out))}");
        return result;
    }

    /// <summary>The pairs with the reference model's summed response log-probabilities filled in.</summary>
    static List<EncodedPair> WithReference(List<EncodedPair> pairs, Model.Gpt reference, int batchSize, Device device)
    {
        using var _ = no_grad();
        var result = new List<EncodedPair>(pairs.Count);
        foreach (var chunk in pairs.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = EncodedPair.Batch(chunk, device);
            var logp = batch.ResponseLogProb(reference.forward(batch.Ids)).cpu().data<float>().ToArray(); // (2B)
            result.AddRange(chunk.Select((p, i) => p with { RefChosen = logp[i], RefRejected = logp[chunk.Length + i] }));
        }
        return result;
    }
}

using SharpLM.Core;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// Direct preference optimisation: the policy starts as the base (SFT) model, whose log-probabilities of every pair's answers
/// are computed once up front as the frozen reference (the same numbers a second frozen copy would give, at no extra memory
/// or per-step cost); the loss is <see cref="PreferenceLosses.Dpo"/> on response tokens only. Held-out implicit-reward
/// accuracy and margins are logged at every evaluation.
/// </summary>
public sealed class DpoTrainer(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null)
{
    public const string Stage = "dpo";

    public PreferenceTrainResult Run(PreferenceTrainOptions o)
    {
        o.Validate();
        var device = TorchRuntime.Apply(new TorchSettings(o.Threads, o.Seed, o.Device));
        using var loaded = RunFolder.LoadModel(o.Base, device);
        var policy = loaded.Model;
        var template = ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer) ?? new ChatTemplate(loaded.Tokenizer);
        var (train, val) = PairTrainer.LoadPairs(o, template, loaded.Tokenizer, loaded.Config.ContextLength, log);
        train = WithReference(train, policy, o.BatchSize, device);
        val = WithReference(val, policy, o.BatchSize, device);
        PairLoss loss = (pairs, batch) =>
        {
            var logp = batch.ResponseLogProb(policy.forward(batch.Ids));                        // (2B)
            var refChosen = tensor(pairs.Select(p => p.RefChosen).ToArray(), device: device);   // (B)
            var refRejected = tensor(pairs.Select(p => p.RefRejected).ToArray(), device: device);
            var terms = PreferenceLosses.Dpo(logp.narrow(0, 0, pairs.Count), logp.narrow(0, pairs.Count, pairs.Count), refChosen, refRejected, o.Beta);
            return (terms.Loss, terms.ChosenRewards - terms.RejectedRewards);
        };
        return new PairTrainer(Stage, progress, log)
            .Run(o, policy, policy, loaded.Tokenizer, train, val, loss, template.Save, _ => { }, device);
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

using SharpLM.Core;
using SharpLM.Distributed;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// Trains a <see cref="RewardModel"/> from an SFT (or base) checkpoint on preference pairs with the Bradley–Terry loss
/// −log σ(r_chosen − r_rejected); held-out pairwise accuracy and mean margin are logged at every evaluation.
/// </summary>
/// <param name="world">The ranks training together (see <see cref="PairTrainer"/>); null: this process alone.</param>
public sealed class RewardTrainer(IProgress<ProgressUpdate>? progress = null, Action<string>? log = null, World? world = null)
{
    public PreferenceTrainResult Run(PreferenceTrainOptions o)
    {
        o.Validate();
        var device = TorchRuntime.Apply(new TorchSettings((world ?? World.Single).Threads(o.Threads), o.Seed, o.Device));
        using var loaded = RunFolder.LoadModel(o.Base, device);
        manual_seed(o.Seed); // the head's initialisation
        using var model = RewardModel.FromBase(loaded);
        var precision = PairTrainer.ChoosePrecision(o, world, model.Trunk);
        var (train, val) = PairTrainer.LoadPairs(o, model.Template, model.Tokenizer, loaded.Config.ContextLength, line => log?.Invoke($"reward: {line}"));
        PairLoss loss = (pairs, batch) =>
        {
            var rewards = model.Forward(batch);                                                   // (2B)
            var chosen = rewards.narrow(0, 0, pairs.Count);                                       // (B)
            var rejected = rewards.narrow(0, pairs.Count, pairs.Count);                           // (B)
            return new PairTerms(PreferenceLosses.BradleyTerry(chosen, rejected), (chosen - rejected).detach());
        };
        return new PairTrainer(RewardModel.Stage, progress, log, world)
            .Run(o, model, model.Trunk, model.Tokenizer, train, val, loss, model.SaveExtras, model.LoadHead, device, precision);
    }
}

using SharpLM.Model;
using SharpLM.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// PPO's critic: its own GPT trunk and a <see cref="ScalarHead"/> giving a value at every position. It starts as the reward
/// model (trunk and head: it already tells good answers from bad) or, when the reward is not a model, as a copy of the
/// policy's weights with a fresh head. Its own trunk means value gradients never move the policy's features, and its own
/// optimizer gives it its own learning rate and gradient clip.
/// </summary>
public sealed class Critic : nn.Module
{
    public const string FileName = "critic.safetensors", OptimizerFile = "critic_optimizer.bin";

    readonly Gpt trunk;
    readonly ScalarHead head;

    Critic(Gpt trunk, ScalarHead head) : base(nameof(Critic))
    {
        this.trunk = trunk;
        this.head = head;
        RegisterComponents();
        if (!trunk.Config.TieEmbeddings) trunk.HeadWeight.requires_grad = false; // the language-model head is unused
    }

    /// <summary>Where it started: "reward model" or "policy".</summary>
    public string Origin { get; private init; } = "";

    /// <summary>Values (B, T−1): position t's value is the expected return after token t+1, aligned with the log-probabilities.</summary>
    public Tensor Values(SequenceBatch batch)
    {
        var values = head.forward(trunk.Hidden(batch.Ids));                                  // (B, T)
        return values.narrow(1, 0, values.shape[1] - 1);                                      // (B, T−1)
    }

    /// <summary>From the reward model in <paramref name="rewardDir"/> when it is one, else from the policy's folder.</summary>
    public static Critic Create(string? rewardDir, string policyDir, Device device)
    {
        if (rewardDir is not null && Directory.Exists(rewardDir))
        {
            var reward = RewardModel.Load(rewardDir, device);
            var critic = new Critic(reward.Trunk, reward.Head) { Origin = "reward model" };
            critic.train();
            return critic;
        }
        var loaded = Checkpoint.Load(RunFolder.ResolveModel(policyDir), device);
        var fresh = new Critic(loaded.Model, new ScalarHead(loaded.Config.Width)) { Origin = "policy" };
        fresh.head.to(device);
        fresh.train();
        return fresh;
    }

    public void Save(string dir) => this.save_safetensors(Path.Combine(dir, FileName));

    public void Load(string dir) => this.load_safetensors(Path.Combine(dir, FileName), strict: true);
}

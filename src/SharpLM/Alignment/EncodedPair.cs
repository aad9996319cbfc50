using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.Alignment;

/// <summary>A preference pair as ids, fitted to the context (<see cref="PairFit"/>); DPO fills in the frozen reference's summed log-probabilities.</summary>
public sealed record EncodedPair(PromptResponse Chosen, PromptResponse Rejected, float RefChosen = 0, float RefRejected = 0)
{
    /// <summary>Chosen rows then rejected rows, so one forward pass scores both halves of every pair.</summary>
    public static SequenceBatch Batch(IReadOnlyList<EncodedPair> pairs, TorchSharp.torch.Device device) =>
        SequenceBatch.Build([.. pairs.Select(p => p.Chosen), .. pairs.Select(p => p.Rejected)], device);
}

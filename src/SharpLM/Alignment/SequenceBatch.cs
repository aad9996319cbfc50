using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>A prompt's ids (ending with the assistant start token) and an answer's ids (ending with the assistant end token, if it ended).</summary>
public sealed record PromptResponse(int[] Prompt, int[] Response)
{
    /// <summary>Renders a prompt conversation and an answer text the way <see cref="ChatTemplate.Render"/> would.</summary>
    public static PromptResponse From(ChatTemplate template, Tokenizer tokenizer, IReadOnlyList<ChatMessage> prompt, string answer) =>
        new(template.RenderForGeneration(prompt), [.. tokenizer.Encode(answer), template.AssistantEndId]);

    /// <summary>
    /// Fits prompt + response into <paramref name="context"/> tokens: the response keeps at most its first
    /// max(context/2, context − prompt) tokens and the prompt loses tokens from its start.
    /// </summary>
    public PromptResponse Fit(int context)
    {
        if (Prompt.Length + Response.Length <= context) return this;
        int response = Math.Min(Response.Length, Math.Max(context / 2, context - Prompt.Length));
        return new PromptResponse(Prompt[^(context - response)..], Response[..response]);
    }
}

/// <summary>
/// Right-padded rows of prompt+response ids for teacher-forced scoring. Position t of <see cref="Mask"/> (B, T−1) is 1 when
/// token t+1 is a response token: the log-probability and value at t belong to that token. Padding is never attended to by
/// real tokens (causal attention, padding only on the right).
/// </summary>
public sealed record SequenceBatch(Tensor Ids, Tensor Mask, long[] LastIndex, int[] PromptLengths) : IDisposable
{
    public static SequenceBatch Build(IReadOnlyList<PromptResponse> rows, Device device)
    {
        int B = rows.Count, T = rows.Max(r => r.Prompt.Length + r.Response.Length);
        var ids = new long[B * T];
        var mask = new float[B * (T - 1)];
        var last = new long[B];
        for (int b = 0; b < B; b++)
        {
            var (p, r) = (rows[b].Prompt, rows[b].Response);
            for (int t = 0; t < p.Length; t++) ids[b * T + t] = p[t];
            for (int t = 0; t < r.Length; t++)
            {
                ids[b * T + p.Length + t] = r[t];
                mask[b * (T - 1) + p.Length + t - 1] = 1;
            }
            last[b] = p.Length + r.Length - 1;
        }
        return new SequenceBatch(tensor(ids, [B, T], device: device), tensor(mask, [B, T - 1], device: device), last,
            rows.Select(r => r.Prompt.Length).ToArray());
    }

    /// <summary>Each row's final real token (B), for heads that read one state per sequence.</summary>
    public Tensor LastIndexTensor => tensor(LastIndex, device: Ids.device);

    /// <summary>
    /// log p(token t+1 | tokens ≤ t) for all positions (B, T−1), from the model's logits (B, T, V) divided by
    /// <paramref name="temperature"/>: the distribution the tokens were sampled from, so that RL's ratios and KL are
    /// about the policy that acted (a temperature left out makes every ratio wrong whenever it is not 1).
    /// </summary>
    public Tensor TokenLogProbs(Tensor logits, double temperature = 1.0) => Taken(Scaled(logits, temperature).log_softmax(-1));

    /// <summary>Log-probabilities of the tokens that follow (B, T−1) and the entropy of each next-token distribution (B, T−1),
    /// at the sampling <paramref name="temperature"/>.</summary>
    public (Tensor LogProbs, Tensor Entropy) TokenLogProbsAndEntropy(Tensor logits, double temperature = 1.0)
    {
        var logp = Scaled(logits, temperature).log_softmax(-1);                                 // (B, T−1, V)
        return (Taken(logp), -(logp.exp() * logp).sum(-1));
    }

    static Tensor Scaled(Tensor logits, double temperature)
    {
        var shifted = logits.narrow(1, 0, logits.shape[1] - 1);                                 // (B, T−1, V)
        return temperature == 1.0 ? shifted : shifted / temperature;
    }

    /// <summary>Whether each row's answer ended with <paramref name="endId"/> (B); a cut-off answer did not.</summary>
    public static bool[] Ended(IReadOnlyList<PromptResponse> rows, int endId) =>
        [.. rows.Select(r => r.Response.Length > 0 && r.Response[^1] == endId)];

    Tensor Taken(Tensor logp) => logp.gather(2, Ids.narrow(1, 1, Ids.shape[1] - 1).unsqueeze(-1)).squeeze(-1); // (B, T−1)

    /// <summary>The given rows (a PPO/GRPO mini-batch), sharing nothing with this batch.</summary>
    public SequenceBatch Rows(long[] rows)
    {
        using var index = tensor(rows, device: Ids.device);
        return new SequenceBatch(Ids.index_select(0, index), Mask.index_select(0, index),
            rows.Select(r => LastIndex[r]).ToArray(), rows.Select(r => PromptLengths[r]).ToArray());
    }

    /// <summary>Summed log-probability of each row's response tokens (B).</summary>
    public Tensor ResponseLogProb(Tensor logits) => (TokenLogProbs(logits) * Mask).sum(1);

    public void Dispose()
    {
        Ids.Dispose();
        Mask.Dispose();
    }
}

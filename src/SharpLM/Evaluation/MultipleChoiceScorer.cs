using System.Text;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Evaluation;

/// <summary>
/// Accuracy of multiple-choice picks by summed log-likelihood, and by log-likelihood per byte of the continuation, over the
/// scored items; <paramref name="Skipped"/> items could not be encoded (a character-level vocabulary lacks a character).
/// </summary>
public sealed record MultipleChoiceResult(int Items, int Correct, int CorrectPerByte, double RandomChance, int Skipped)
{
    public double Accuracy => Items == 0 ? double.NaN : (double)Correct / Items;
    public double AccuracyPerByte => Items == 0 ? double.NaN : (double)CorrectPerByte / Items;
}

/// <summary>
/// Scores each option of a question as the summed log-probability of its continuation tokens given BOS + its context; the
/// options of one question run as one batch (right-padded: causal attention means padding never changes earlier logits).
/// </summary>
public static class MultipleChoiceScorer
{
    /// <summary>Summed log-likelihood of each option's continuation, in option order. Too long for the context, the oldest tokens are cut (lm-eval's rule).</summary>
    public static double[] LogLikelihoods(Gpt model, Tokenizer tokenizer, MultipleChoiceItem item)
    {
        int maxInput = model.Config.ContextLength;
        var sequences = new List<(int[] Ids, int ContinuationStart)>();
        foreach (var (context, continuation) in item.Options)
        {
            var cont = tokenizer.Encode(continuation);
            if (cont.Length == 0) throw new SharpLmException($"choice '{continuation.Trim()}' encodes to no tokens");
            int[] ids = [tokenizer.BosId, .. tokenizer.Encode(context), .. cont];
            // Keep the newest tokens (input ids[..^1] fits the context); a continuation longer than that is scored on its tail.
            if (ids.Length - 1 > maxInput) ids = ids[^(maxInput + 1)..];
            sequences.Add((ids, Math.Max(1, ids.Length - cont.Length)));
        }
        var (x, y, B, T) = ShiftedRows(sequences);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = model.HeadWeight.device;
        var logits = model.forward(tensor(x, [B, T], device: device));                                   // (B, T, V)
        var nll = F.cross_entropy(logits.reshape(B * T, -1), tensor(y, device: device),
            ignore_index: Gpt.IgnoreIndex, reduction: nn.Reduction.None).reshape(B, T);                  // (B, T), 0 where ignored
        var sums = nll.sum(1).cpu();                                                                      // (B)
        return Enumerable.Range(0, B).Select(b => -(double)sums[b].item<float>()).ToArray();
    }

    public static MultipleChoiceResult Evaluate(Gpt model, Tokenizer tokenizer, IReadOnlyList<MultipleChoiceItem> items,
        IProgress<ProgressUpdate>? progress = null, string task = "eval")
    {
        bool wasTraining = model.training;
        model.eval();
        int correct = 0, correctPerByte = 0, skipped = 0;
        double chance = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            double[] ll;
            try { ll = LogLikelihoods(model, tokenizer, item); }
            catch (SharpLmException) { skipped++; continue; }
            var perByte = ll.Select((l, k) => l / Math.Max(1, Encoding.UTF8.GetByteCount(item.Options[k].Continuation))).ToArray();
            if (ArgMax(ll) == item.Gold) correct++;
            if (ArgMax(perByte) == item.Gold) correctPerByte++;
            chance += 1.0 / item.Options.Count;
            progress?.Report(new ProgressUpdate(task, i + 1, items.Count, "items", $"acc {(double)correct / Math.Max(1, i + 1 - skipped):P1}"));
        }
        model.train(wasTraining);
        int scored = items.Count - skipped;
        return new MultipleChoiceResult(scored, correct, correctPerByte, scored == 0 ? double.NaN : chance / scored, skipped);
    }

    /// <summary>Index of the largest value; ties go to the first.</summary>
    static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>
    /// Rows of ids as next-token inputs and targets, right-padded to the longest (B, T): x = ids[..^1], y = ids[1..] from
    /// position <c>Start</c> on (the continuation scored), <see cref="Gpt.IgnoreIndex"/> elsewhere.
    /// </summary>
    internal static (long[] X, long[] Y, int B, int T) ShiftedRows(IReadOnlyList<(int[] Ids, int Start)> rows)
    {
        int B = rows.Count, T = rows.Max(r => r.Ids.Length) - 1;
        var x = new long[B * T];
        var y = new long[B * T];
        Array.Fill(y, Gpt.IgnoreIndex);
        for (int b = 0; b < B; b++)
        {
            var (ids, start) = rows[b];
            for (int t = 0; t < ids.Length - 1; t++)
            {
                x[b * T + t] = ids[t];
                if (t + 1 >= start) y[b * T + t] = ids[t + 1];
            }
        }
        return (x, y, B, T);
    }
}

using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Evaluation;

/// <summary>
/// Last-word accuracy (LAMBADA): an item is right when greedy decoding reproduces every token of the final word;
/// <see cref="Perplexity"/> is exp of the mean negative log-likelihood of the word per item (lm-evaluation-harness's
/// figure). <paramref name="Skipped"/> items could not be encoded.
/// </summary>
public sealed record LastWordResult(int Items, int Correct, double Perplexity, int Skipped)
{
    public double Accuracy => Items == 0 ? double.NaN : (double)Correct / Items;
}

/// <summary>Scores last-word items in right-padded batches: BOS + context + word, the oldest tokens cut to fit the context.</summary>
public static class LastWordScorer
{
    public static LastWordResult Evaluate(Gpt model, Tokenizer tokenizer, IReadOnlyList<LastWordItem> items, int batch = 16,
        IProgress<ProgressUpdate>? progress = null, string task = "eval")
    {
        var encoded = new List<(int[] Ids, int WordStart)>();
        foreach (var item in items)
        {
            try
            {
                var word = tokenizer.Encode(item.Word);
                if (word.Length == 0) continue;
                int[] ids = [tokenizer.BosId, .. tokenizer.Encode(item.Context), .. word];
                int maxInput = model.Config.ContextLength;
                if (ids.Length - 1 > maxInput) ids = ids[^(maxInput + 1)..];
                encoded.Add((ids, Math.Max(1, ids.Length - word.Length)));
            }
            catch (SharpLmException) { } // not encodable (a character-level vocabulary lacks a character): skipped
        }
        bool wasTraining = model.training;
        model.eval();
        int correct = 0, done = 0;
        double nllSum = 0;
        foreach (var chunk in encoded.Chunk(batch))
        {
            foreach (var (right, nll) in Score(model, chunk))
            {
                if (right) correct++;
                nllSum += nll;
            }
            done += chunk.Length;
            progress?.Report(new ProgressUpdate(task, done, encoded.Count, "items", $"acc {(double)correct / done:P1}"));
        }
        model.train(wasTraining);
        return new LastWordResult(encoded.Count, correct, encoded.Count == 0 ? double.NaN : Math.Exp(nllSum / encoded.Count),
            items.Count - encoded.Count);
    }

    /// <summary>Per row: whether greedy argmax matches every word token, and the word's summed negative log-likelihood.</summary>
    static (bool Right, double Nll)[] Score(Gpt model, (int[] Ids, int WordStart)[] rows)
    {
        var (x, y, B, T) = MultipleChoiceScorer.ShiftedRows(rows);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = model.HeadWeight.device;
        var logits = model.forward(tensor(x, [B, T], device: device));                                   // (B, T, V)
        var targets = tensor(y, [B, T], device: device);
        var nll = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1),
            ignore_index: Gpt.IgnoreIndex, reduction: nn.Reduction.None).reshape(B, T).sum(1).cpu();     // (B)
        var scored = targets.ne(Gpt.IgnoreIndex);
        var wrong = logits.argmax(-1).ne(targets).logical_and(scored).sum(1).cpu();                      // (B) misses
        return Enumerable.Range(0, B).Select(b => (wrong[b].item<long>() == 0, (double)nll[b].item<float>())).ToArray();
    }
}

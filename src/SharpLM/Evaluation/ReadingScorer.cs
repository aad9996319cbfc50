using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation;

/// <summary>Mean exact match and F1 (0..1, <see cref="CmrcMetrics"/>) over the answered questions.</summary>
public sealed record ReadingResult(int Items, double ExactMatch, double F1, IReadOnlyList<GenerativeSample> Samples, int Skipped);

/// <summary>
/// Extractive reading comprehension (CMRC 2018, SQuAD layout): the model reads the passage and the question in one chat
/// message and answers greedily; the answer is scored against every reference span. Questions whose passage does not fit
/// the model's context are skipped (counted), never cut: the answer could be in the part cut away.
/// </summary>
public static class ReadingScorer
{
    public static ReadingResult Evaluate(Gpt model, Tokenizer tokenizer, IReadOnlyList<ReadingItem> items, int maxNewTokens = 64,
        int batch = 8, IProgress<ProgressUpdate>? progress = null, string task = "eval")
    {
        var samples = new List<GenerativeSample>();
        double em = 0, f1 = 0;
        var questions = items.Select(Prompt).ToList();
        var answered = GenerativeScorer.Answer(model, tokenizer, questions, maxNewTokens, batch, (index, answer) =>
        {
            var item = items[index];
            double e = CmrcMetrics.ExactMatch(answer, item.Answers);
            em += e;
            f1 += CmrcMetrics.F1(answer, item.Answers);
            samples.Add(new GenerativeSample(item.Question, answer, string.Join(" | ", item.Answers), e == 1));
            return $"EM {em / samples.Count:P1} F1 {f1 / samples.Count:P1}";
        }, progress, task);
        return answered == 0
            ? new ReadingResult(0, double.NaN, double.NaN, samples, items.Count)
            : new ReadingResult(answered, em / answered, f1 / answered, samples, items.Count - answered);
    }

    /// <summary>The chat message: an instruction to answer with words from the passage, the passage, then the question.</summary>
    public static string Prompt(ReadingItem item) => $"阅读下面的文章，用文中的原话回答问题。\n\n{item.Passage}\n\n问题：{item.Question}";
}

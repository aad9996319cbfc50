using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation;

/// <summary>One generated answer and whether it matched.</summary>
public sealed record GenerativeSample(string Question, string Answer, string Reference, bool Correct);

public sealed record GenerativeResult(int Items, int Correct, IReadOnlyList<GenerativeSample> Samples)
{
    public double Accuracy => Items == 0 ? double.NaN : (double)Correct / Items;
}

/// <summary>The model answers each question in the chat format (greedy, batched); answers are checked by <see cref="AnswerChecker"/>.</summary>
public static class GenerativeScorer
{
    public static GenerativeResult Evaluate(Gpt model, Tokenizer tokenizer, IReadOnlyList<GenerativeItem> items, AnswerMatch match,
        int maxNewTokens = 256, int batch = 16, IProgress<ProgressUpdate>? progress = null, string task = "eval")
    {
        var template = new ChatTemplate(tokenizer);
        var generator = new Generator(model, tokenizer);
        var options = new GenerationOptions(maxNewTokens, SamplingOptions.Greedy, [template.AssistantEndId]).Validate();
        var samples = new List<GenerativeSample>(items.Count);
        for (int i = 0; i < items.Count; i += batch)
        {
            var chunk = items.Skip(i).Take(batch).ToList();
            var prompts = chunk.Select(q => template.RenderForGeneration([new ChatMessage(ChatMessage.User, q.Question)])).ToList();
            var answers = generator.Generate(prompts, options);
            for (int k = 0; k < chunk.Count; k++)
                samples.Add(new GenerativeSample(chunk[k].Question, answers[k].Text, chunk[k].Reference,
                    AnswerChecker.IsCorrect(answers[k].Text, chunk[k].Reference, match)));
            int correct = samples.Count(s => s.Correct);
            progress?.Report(new ProgressUpdate(task, samples.Count, items.Count, "items", $"acc {(double)correct / samples.Count:P1}"));
        }
        return new GenerativeResult(items.Count, samples.Count(s => s.Correct), samples);
    }
}

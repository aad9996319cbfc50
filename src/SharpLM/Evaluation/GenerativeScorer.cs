using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation;

/// <summary>One generated answer and whether it matched.</summary>
public sealed record GenerativeSample(string Question, string Answer, string Reference, bool Correct);

/// <summary>Accuracy over the answered items; <paramref name="Skipped"/> questions could not be encoded or left no room in the context.</summary>
public sealed record GenerativeResult(int Items, int Correct, IReadOnlyList<GenerativeSample> Samples, int Skipped)
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
        var encoded = new List<(GenerativeItem Item, int[] Prompt)>(items.Count);
        foreach (var item in items)
        {
            int[] prompt;
            try { prompt = template.RenderForGeneration([new ChatMessage(ChatMessage.User, item.Question)]); }
            catch (SharpLmException) { continue; } // not encodable: counted as skipped
            if (prompt.Length < generator.ContextLength) encoded.Add((item, prompt)); // else no room to answer: skipped
        }
        for (int i = 0; i < encoded.Count; i += batch)
        {
            var chunk = encoded.Skip(i).Take(batch).Select(e => e.Item).ToList();
            var prompts = encoded.Skip(i).Take(batch).Select(e => e.Prompt).ToList();
            var answers = generator.Generate(prompts, options);
            for (int k = 0; k < chunk.Count; k++)
                samples.Add(new GenerativeSample(chunk[k].Question, answers[k].Text, chunk[k].Reference,
                    AnswerChecker.IsCorrect(answers[k].Text, chunk[k].Reference, match)));
            int correct = samples.Count(s => s.Correct);
            progress?.Report(new ProgressUpdate(task, samples.Count, encoded.Count, "items", $"acc {(double)correct / samples.Count:P1}"));
        }
        return new GenerativeResult(samples.Count, samples.Count(s => s.Correct), samples, items.Count - encoded.Count);
    }
}

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
        var samples = new List<GenerativeSample>(items.Count);
        var answered = Answer(model, tokenizer, items.Select(i => i.Question).ToList(), maxNewTokens, batch, (index, answer) =>
        {
            var item = items[index];
            samples.Add(new GenerativeSample(item.Question, answer, item.Reference, AnswerChecker.IsCorrect(answer, item.Reference, match)));
            return $"acc {(double)samples.Count(s => s.Correct) / samples.Count:P1}";
        }, progress, task);
        return new GenerativeResult(samples.Count, samples.Count(s => s.Correct), samples, items.Count - answered);
    }

    /// <summary>
    /// Greedy chat answers to <paramref name="questions"/> in batches; <paramref name="onAnswer"/> gets each answered
    /// question's index and answer and returns the progress note. Returns how many were answered: a question that cannot be
    /// encoded, or leaves no room to answer in the context, is skipped.
    /// </summary>
    public static int Answer(Gpt model, Tokenizer tokenizer, IReadOnlyList<string> questions, int maxNewTokens, int batch,
        Func<int, string, string> onAnswer, IProgress<ProgressUpdate>? progress, string task)
    {
        var template = new ChatTemplate(tokenizer);
        var generator = new Generator(model, tokenizer);
        var options = new GenerationOptions(maxNewTokens, SamplingOptions.Greedy, [template.AssistantEndId]).Validate();
        var encoded = new List<(int Index, int[] Prompt)>(questions.Count);
        for (int i = 0; i < questions.Count; i++)
        {
            int[] prompt;
            try { prompt = template.RenderForGeneration([new ChatMessage(ChatMessage.User, questions[i])]); }
            catch (SharpLmException) { continue; } // not encodable: counted as skipped
            if (prompt.Length < generator.ContextLength) encoded.Add((i, prompt)); // else no room to answer: skipped
        }
        int done = 0;
        foreach (var chunk in encoded.Chunk(batch))
        {
            var answers = generator.Generate(chunk.Select(e => e.Prompt).ToList(), options);
            string note = "";
            for (int k = 0; k < chunk.Length; k++) note = onAnswer(chunk[k].Index, answers[k].Text);
            done += chunk.Length;
            progress?.Report(new ProgressUpdate(task, done, encoded.Count, "items", note));
        }
        return encoded.Count;
    }
}

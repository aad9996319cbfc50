using SharpLM.Data.World;
using SharpLM.Evaluation;
using SharpLM.Inference;
using SharpLM.Inspection;
using SharpLM.Model;
using SharpLM.Tokenization;

namespace SharpLM.Pipeline;

/// <summary>
/// Measures one stage's model the same way for every stage: greedy answers to the world's evaluation items (chat-rendered
/// questions and harmful prompts, raw-text completions) scored by <see cref="WorldScoring"/>, bits per byte on fresh world
/// text, and the seed probes. The base model is asked in the chat format too: that it "rarely follows instructions" is
/// part of what the report shows.
/// </summary>
/// <param name="items">The evaluation items (already limited to the run's size).</param>
/// <param name="valText">Text of the world never trained on, for bits per byte.</param>
/// <param name="countryQuestion">The English seed probe about a held-out country.</param>
public sealed class StageEvaluator(IReadOnlyList<EvalItem> items, string valText, string countryQuestion, int batchSize = 32)
{
    const int ChatTokens = 32, CompletionTokens = 12, ExamplesPerKind = 2;

    public StageEvaluation Evaluate(Gpt model, Tokenizer tokenizer)
    {
        var template = new ChatTemplate(tokenizer);
        var generator = new Generator(model, tokenizer);
        var answers = Answers(generator, template, items);
        var scored = items.Zip(answers, (item, answer) => (Item: item, Answer: answer, Score: WorldScoring.Score(item, answer))).ToList();
        var languages = items.Select(i => i.Language).Distinct().Select(language =>
        {
            var mine = scored.Where(s => s.Item.Language == language).ToList();
            var facts = mine.Where(s => s.Item.Kind is EvalKind.HeldOutFact or EvalKind.HeldOutFactHeldOutPhrasing).ToList();
            var completions = mine.Where(s => s.Item.Kind == EvalKind.Completion).ToList();
            var harmful = mine.Where(s => s.Item.Kind == EvalKind.Harmful).ToList();
            return new LanguageScores(language,
                Share(mine.Where(s => s.Item.Kind == EvalKind.HeldOutFact), s => s.Score.Correct),
                Share(mine.Where(s => s.Item.Kind == EvalKind.HeldOutFactHeldOutPhrasing), s => s.Score.Correct),
                Share(completions, s => s.Score.Correct),
                Share(facts, s => s.Score.Hallucinated),
                Share(facts, s => s.Score.FollowedInstructions),
                Share(harmful, s => s.Score.Refused),
                facts.Count, completions.Count, harmful.Count);
        }).ToList();
        var examples = scored.GroupBy(s => (s.Item.Kind, s.Item.Language)).SelectMany(g => g.Take(ExamplesPerKind))
            .Select(s => new ScoredAnswer(WorldGenerator.Code(s.Item.Kind), s.Item.Language, s.Item.Prompt, s.Item.Answer, s.Answer,
                s.Score.Correct, s.Score.Hallucinated, s.Score.Refused)).ToList();
        double bpb = TextLoss.Evaluate(model, tokenizer, valText).BitsPerByte;
        return new StageEvaluation(languages, bpb, Probes(model, tokenizer, generator, template), examples);
    }

    /// <summary>Greedy answers to chat prompts (one user turn each).</summary>
    public IReadOnlyList<string> Chat(Generator generator, ChatTemplate template, IReadOnlyList<string> prompts) =>
        Generate(generator, [.. prompts.Select(p => template.RenderForGeneration([new ChatMessage(ChatMessage.User, p)]))], Options(template, ChatTokens));

    SeedProbes Probes(Gpt model, Tokenizer tokenizer, Generator generator, ChatTemplate template)
    {
        var completion = Generate(generator, [generator.EncodePrompt(SeedProbeTexts.Completion)], Options(template, CompletionTokens))[0];
        // The inspector only reads the model (it switches it to eval mode, as generation does); the caller owns and disposes it.
        var next = new Inspector(model, tokenizer).Next(SeedProbeTexts.ILike, top: 5);
        var chat = Chat(generator, template, [SeedProbeTexts.ProvinceQuestion, countryQuestion]);
        return new SeedProbes(completion, [.. next.Rows.Select(r => new TokenProbability(r.Token, r.Probability))], chat[0], countryQuestion, chat[1]);
    }

    IReadOnlyList<string> Answers(Generator generator, ChatTemplate template, IReadOnlyList<EvalItem> all)
    {
        var answers = new string[all.Count];
        foreach (bool chat in new[] { true, false })
        {
            var indices = Enumerable.Range(0, all.Count).Where(i => all[i].IsChat == chat).ToArray();
            var prompts = indices.Select(i => chat
                ? template.RenderForGeneration([new ChatMessage(ChatMessage.User, all[i].Prompt)])
                : generator.EncodePrompt(all[i].Prompt)).ToList();
            var texts = Generate(generator, prompts, Options(template, chat ? ChatTokens : CompletionTokens));
            for (int k = 0; k < indices.Length; k++) answers[indices[k]] = texts[k];
        }
        return answers;
    }

    IReadOnlyList<string> Generate(Generator generator, IReadOnlyList<int[]> prompts, GenerationOptions options) =>
        [.. prompts.Chunk(batchSize).SelectMany(chunk => generator.Generate(chunk, options).Select(g => g.Text))];

    static GenerationOptions Options(ChatTemplate template, int maxTokens) =>
        new(MaxNewTokens: maxTokens, Sampling: SamplingOptions.Greedy, StopTokenIds: [template.AssistantEndId]);

    static double Share<T>(IEnumerable<T> rows, Func<T, bool> flag)
    {
        var list = rows.ToList();
        return list.Count == 0 ? double.NaN : (double)list.Count(flag) / list.Count;
    }

    /// <summary>At most <paramref name="perKind"/> items of each (kind, language), spread evenly over the list so every fact is represented.</summary>
    public static IReadOnlyList<EvalItem> Limit(IReadOnlyList<EvalItem> all, int perKind) =>
        [.. all.GroupBy(i => (i.Kind, i.Language)).SelectMany(g =>
        {
            var list = g.ToList();
            if (list.Count <= perKind) return list;
            return Enumerable.Range(0, perKind).Select(k => list[(int)((long)k * list.Count / perKind)]);
        })];
}

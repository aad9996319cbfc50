using SharpLM.Data.World;
using SharpLM.Evaluation;
using SharpLM.Inference;
using SharpLM.Inspection;
using SharpLM.Model;
using SharpLM.Tokenization;

namespace SharpLM.Pipeline;

/// <summary>
/// Measures one stage's model the same way for every stage: greedy answers to the world's evaluation items (chat-rendered
/// questions and requests, raw-text completions) scored by <see cref="WorldScoring"/>, each metric of <see cref="Metrics"/>
/// with a 95 % interval (bootstrap over facts, lands and requests), bits per byte on fresh world text per language, and the
/// seed probes. The base model is asked in the chat format too: that it "rarely follows instructions" is part of what the
/// report shows.
/// </summary>
/// <param name="items">The evaluation items (already limited to the run's size).</param>
/// <param name="valTexts">Text of the world never trained on, per language, for bits per byte.</param>
/// <param name="countryQuestion">The English seed probe about an evaluation country.</param>
public sealed class StageEvaluator(IReadOnlyList<EvalItem> items, IReadOnlyDictionary<string, string> valTexts, string countryQuestion, int batchSize = 48)
{
    /// <summary>New tokens a chat answer may have; RL rollouts are at least this long, so training sees what evaluation sees.</summary>
    public const int ChatTokens = 32;

    const int CompletionTokens = 12, ExamplesPerKind = 2;

    public StageEvaluation Evaluate(Gpt model, Tokenizer tokenizer)
    {
        var template = new ChatTemplate(tokenizer);
        var generator = new Generator(model, tokenizer);
        var answers = Answers(generator, template, items);
        var scored = items.Zip(answers, (item, answer) => (Item: item, Answer: answer, Score: WorldScoring.Score(item, answer))).ToList();
        var languages = items.Select(i => i.Language).Distinct().Select(language =>
        {
            var mine = scored.Where(s => s.Item.Language == language).ToList();
            Rate Of(Func<EvalKind, bool> kind, Func<WorldScore, bool> hit) =>
                Bootstrap.Share([.. mine.Where(s => kind(s.Item.Kind)).Select(s => (s.Item.FactId, hit(s.Score)))]);
            static bool EvalFact(EvalKind k) => k is EvalKind.HeldOutFact or EvalKind.HeldOutFactHeldOutPhrasing;
            var rates = new Dictionary<string, Rate>
            {
                [Metrics.RlFactsNewWording] = Of(k => k == EvalKind.RlFactHeldOutPhrasing, s => s.Correct),
                [Metrics.EvalFactsTrainedWording] = Of(k => k == EvalKind.HeldOutFact, s => s.Correct),
                [Metrics.EvalFactsHeldOutWording] = Of(k => k == EvalKind.HeldOutFactHeldOutPhrasing, s => s.Correct),
                [Metrics.UnknownIdk] = Of(k => k == EvalKind.Unknown, s => s.DontKnow && !s.Hallucinated),
                [Metrics.KnownIdk] = Of(EvalFact, s => s.DontKnow),
                [Metrics.HarmfulRefused] = Of(k => k == EvalKind.Harmful, s => s.Refused),
                [Metrics.HarmlessRefused] = Of(k => k == EvalKind.Harmless, s => s.Refused),
                [Metrics.Completion] = Of(k => k == EvalKind.Completion, s => s.Correct),
                [Metrics.Hallucination] = Of(EvalFact, s => s.Hallucinated),
                [Metrics.UnknownHallucination] = Of(k => k == EvalKind.Unknown, s => s.Hallucinated),
                [Metrics.InstructionFollowing] = Of(EvalFact, s => s.FollowedInstructions),
            };
            double bpb = valTexts.TryGetValue(language, out var text) && text.Length > 0
                ? TextLoss.Evaluate(model, tokenizer, text).BitsPerByte
                : double.NaN;
            return new LanguageScores(language, rates, bpb);
        }).ToList();
        var examples = scored.GroupBy(s => (s.Item.Kind, s.Item.Language)).SelectMany(g => g.Take(ExamplesPerKind))
            .Select(s => new ScoredAnswer(WorldGenerator.Code(s.Item.Kind), s.Item.Language, s.Item.Prompt, s.Item.Answer, s.Answer,
                s.Score.Correct, s.Score.Hallucinated, s.Score.Refused, s.Score.DontKnow)).ToList();
        double all = TextLoss.Evaluate(model, tokenizer, string.Join("\n\n", valTexts.Values)).BitsPerByte;
        return new StageEvaluation(languages, all, Probes(model, tokenizer, generator, template), examples);
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

    /// <summary>At most <paramref name="perKind"/> items of each (kind, language), spread evenly over the list so every fact is represented.</summary>
    public static IReadOnlyList<EvalItem> Limit(IReadOnlyList<EvalItem> all, int perKind) =>
        [.. all.GroupBy(i => (i.Kind, i.Language)).SelectMany(g =>
        {
            var list = g.ToList();
            if (list.Count <= perKind) return list;
            return Enumerable.Range(0, perKind).Select(k => list[(int)((long)k * list.Count / perKind)]);
        })];
}

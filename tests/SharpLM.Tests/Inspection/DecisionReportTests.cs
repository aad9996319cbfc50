using SharpLM.Core;
using SharpLM.Data.World;
using SharpLM.Inspection;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Tests.Inspection;

public class DecisionReportTests
{
    static readonly WorldGenerator World = new(new WorldOptions(PretrainChars: 0, SftConversations: 0, PreferencePairs: 0));

    /// <summary>An untrained model over the characters of every prompt and opening of the world's evaluation and RL items.</summary>
    static Inspector Untrained(int seed)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: seed));
        var texts = World.Evaluation().Concat(World.RlPrompts()).Select(i => i.Prompt)
            .Concat(WorldLanguage.All.SelectMany(l => new[] { Requests.DontKnowOpening(l), Requests.RefusalOpening(l) }));
        var tokenizer = CharTokenizer.Train([.. texts]);
        return new Inspector(new Gpt(new GptConfig(tokenizer.VocabSize, ContextLength: 128, Depth: 2, Width: 32, Heads: 4, KvHeads: 4)), tokenizer);
    }

    /// <summary>Log-probability of <paramref name="continuation"/> after <paramref name="prefix"/>, one forward per token
    /// on the growing prefix: a different route from the report's single pass, to pin its positions.</summary>
    static double LogProbability(Inspector inspector, int[] prefix, int[] continuation)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double sum = 0;
        for (int k = 0; k < continuation.Length; k++)
        {
            var idx = tensor(prefix.Concat(continuation.Take(k)).Select(i => (long)i).ToArray()).unsqueeze(0);
            sum += inspector.Model.forward(idx)[0, -1].log_softmax(-1)[continuation[k]].item<float>();
        }
        return sum;
    }

    [Fact]
    public void Every_dont_know_and_refusal_answer_opens_on_its_decisions_words()
    {
        foreach (var language in WorldLanguage.All)
        {
            var land = CapitalFact.Unknown[0];
            for (int v = 0; v < Requests.DontKnow[language].Count; v++)
                Assert.StartsWith(Requests.DontKnowOpening(language), Requests.IDontKnow(land, language, v), StringComparison.Ordinal);
            Assert.All(Requests.Harmful, kind =>
                Assert.StartsWith(Requests.RefusalOpening(language), Requests.Refusal(kind, language), StringComparison.Ordinal));
            Assert.All(Requests.Harmless, task =>
                Assert.False(Requests.Help(task, language).StartsWith(Requests.RefusalOpening(language), StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void Readiness_is_the_log_probability_of_the_opening_right_after_the_prompt_and_the_names_surprisal()
    {
        using var inspector = Untrained(seed: 31);
        var template = new ChatTemplate(inspector.Tokenizer);
        foreach (var item in new[]
                 {
                     World.Evaluation().First(i => i.Kind == EvalKind.Unknown && i.Language == WorldLanguage.En),
                     World.Evaluation().First(i => i.Kind == EvalKind.HeldOutFact && i.Language == WorldLanguage.Zh),
                 })
        {
            var opening = Requests.DontKnowOpening(item.Language);
            var ready = inspector.Ready(item, opening);
            var prompt = template.RenderForGeneration([new ChatMessage(ChatMessage.User, item.Prompt)]);
            Assert.Equal(LogProbability(inspector, prompt, inspector.Tokenizer.Encode(opening)), ready.LogProbability, 4);

            // The name: a character tokenizer spells it one token per character, right after the prompt's text before it.
            string name = item.Kind == EvalKind.Unknown
                ? CapitalFact.Unknown.Single(n => WorldGenerator.UnknownFactId(n) == item.FactId).In(item.Language)
                : CapitalFact.All.Single(f => f.Id == item.FactId).Subject.In(item.Language);
            int at = item.Prompt.IndexOf(name, StringComparison.Ordinal);
            var before = template.RenderForGeneration([new ChatMessage(ChatMessage.User, item.Prompt[..at])])[..^2];  // drop the end tokens
            var nameIds = inspector.Tokenizer.Encode(name);
            Assert.Equal(-LogProbability(inspector, before, nameIds) / nameIds.Length, ready.NameSurprisal, 4);
            Assert.Equal(2 * 2 * 32, ready.Features.Length);
        }
    }

    [Fact]
    public void Taken_means_greedy_decoding_writes_the_opening_first()
    {
        using var inspector = Untrained(seed: 32);
        var item = World.Evaluation().First(i => i.Kind == EvalKind.Harmful && i.Language == WorldLanguage.En);
        var template = new ChatTemplate(inspector.Tokenizer);
        var prompt = template.RenderForGeneration([new ChatMessage(ChatMessage.User, item.Prompt)]);
        var greedy = new SharpLM.Inference.Generator(inspector.Model, inspector.Tokenizer)
            .Generate([prompt], new SharpLM.Inference.GenerationOptions(3, SharpLM.Inference.SamplingOptions.Greedy))[0];
        var ready = inspector.Ready(item, greedy.Text);
        Assert.True(ready.Taken);
        Assert.True(double.IsNaN(ready.NameSurprisal));                                  // a request names no land
        Assert.All(ready.Features[(2 * 32)..], f => Assert.Equal(0f, f));                 // so its name half is zeros
        var other = inspector.Tokenizer.Decode([.. inspector.Tokenizer.Encode(greedy.Text).Select((id, k) => k == 2 ? Different(inspector, id) : id)]);
        Assert.False(inspector.Ready(item, other).Taken);
    }

    static int Different(Inspector inspector, int id) =>
        Enumerable.Range(0, inspector.Tokenizer.VocabSize).First(i => i != id && !inspector.Tokenizer.SpecialTokenIds.Values.Contains(i));

    [Fact]
    public void The_report_has_both_decisions_per_language_with_every_curve_and_the_greedy_point_on_the_own_curve_side()
    {
        using var inspector = Untrained(seed: 33);
        var evaluation = World.Evaluation().Where((_, i) => i % 4 == 0).ToList();   // a quarter of the items keeps it quick
        var report = inspector.Decisions(evaluation, World.RlPrompts());
        Assert.Equal([("zh", "dont_know"), ("zh", "refusal"), ("en", "dont_know"), ("en", "refusal")],
            report.Rows.Select(r => (r.Language, r.Decision)));
        foreach (var row in report.Rows)
        {
            var kind = DecisionKind.All.Single(k => k.Name == row.Decision);
            Assert.Equal(evaluation.Count(i => i.Language == row.Language && kind.PositiveKinds.Contains(i.Kind)), row.PositiveItems);
            Assert.Equal(evaluation.Count(i => i.Language == row.Language && kind.NegativeKinds.Contains(i.Kind)), row.NegativeItems);
            Assert.NotNull(row.ProbeTransfer);
            Assert.NotNull(row.ProbeCrossValidated);
            Assert.Equal(row.Decision == "dont_know", row.NameSurprisal is not null);
            Assert.InRange(row.Own.Auc, 0, 1);
            Assert.Equal([0.0, 0.0], row.Own.Points[0]);
            Assert.Equal([1.0, 1.0], row.Own.Points[^1]);
        }
        using var dir = new TempDir();
        Charts.Decisions(report, dir["decisions.png"]);
        Assert.True(new FileInfo(dir["decisions.png"]).Length > 1000);
    }
}

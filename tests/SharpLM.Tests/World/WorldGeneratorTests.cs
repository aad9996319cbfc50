using System.Text.RegularExpressions;
using SharpLM.Core;
using SharpLM.Data.World;
using SharpLM.Evaluation;
using SharpLM.Tokenization;

namespace SharpLM.Tests.World;

public class WorldGeneratorTests
{
    static readonly WorldOptions Small = new(Seed: 7, PretrainChars: 60_000, SftConversations: 3000, PreferencePairs: 1500);
    static readonly WorldData World = new WorldGenerator(Small).Generate();

    static IEnumerable<string> SftAndPreferenceTexts =>
        World.Sft.SelectMany(c => c.Messages.Select(m => m.Content))
            .Concat(World.Preferences.SelectMany(p => new[] { p.Prompt, p.Chosen, p.Rejected }));

    [Fact]
    public void Facts_table_has_34_divisions_and_about_50_countries()
    {
        Assert.Equal(34, WorldFacts.Divisions.Count);
        Assert.Equal(23, WorldFacts.Divisions.Count(d => d.Kind == DivisionKind.Province));
        Assert.Equal(5, WorldFacts.Divisions.Count(d => d.Kind == DivisionKind.AutonomousRegion));
        Assert.Equal(4, WorldFacts.Divisions.Count(d => d.Kind == DivisionKind.Municipality));
        Assert.Equal(2, WorldFacts.Divisions.Count(d => d.Kind == DivisionKind.SpecialAdministrativeRegion));
        Assert.All(WorldFacts.Divisions, d => Assert.Equal(d.Kind is DivisionKind.Province or DivisionKind.AutonomousRegion, d.Capital is not null));
        Assert.InRange(WorldFacts.Countries.Count, 48, 55);
        var hunan = CapitalFact.All.Single(f => f.Subject.Zh == "湖南");
        Assert.Equal(("长沙", "Changsha", "省会"), (hunan.Capital.Zh, hunan.Capital.En, hunan.WordZh));
        Assert.Equal("首府", CapitalFact.All.Single(f => f.Subject.En == "Tibet").WordZh);
        Assert.Equal("太原", CapitalFact.All.Single(f => f.Subject.En == "Shanxi").Capital.Zh);
        Assert.Equal("西安", CapitalFact.All.Single(f => f.Subject.En == "Shaanxi").Capital.Zh);
    }

    [Fact]
    public void No_name_of_one_capital_fact_hides_inside_a_name_of_another()
    {
        // What makes scanning text for held-out names (and scoring hallucinations) exact.
        var names = CapitalFact.All.SelectMany(f => f.Subject.AllSpellings.Concat(f.Capital.AllSpellings).Select(n => (f, n))).ToArray();
        var clashes = from a in names from b in names
                      where a.f != b.f && WorldScoring.Mentions(a.n, b.n)
                      select $"{a.n} contains {b.n}";
        Assert.Empty(clashes);
    }

    [Fact]
    public void Split_sizes_follow_the_held_out_fractions()
    {
        var s = World.Split;
        Assert.Equal(6, s.HeldOutFacts.Count(f => f.Category == CapitalCategory.Province)); // round(0.2 × 28)
        Assert.Equal((int)Math.Round(0.2 * WorldFacts.Countries.Count), s.HeldOutFacts.Count(f => f.Category == CapitalCategory.Country));
        Assert.Equal(CapitalFact.All.Count, s.TrainFacts.Count + s.HeldOutFacts.Count);
        Assert.Empty(s.TrainFacts.Intersect(s.HeldOutFacts));
        foreach (var language in WorldLanguage.All)
        {
            Assert.Equal(2, s.HeldOutPhrasings[language].Count); // round(0.3 × 7)
            Assert.Equal(5, s.TrainPhrasings[language].Count);
            Assert.Equal(WorldFacts.Harmful.Count, s.HeldOutHarmful[language].Count); // one of four per kind
            Assert.Equal(3 * WorldFacts.Harmful.Count, s.TrainHarmful[language].Count);
        }
    }

    [Fact]
    public void Held_out_facts_never_appear_in_sft_or_preference_data()
    {
        var texts = SftAndPreferenceTexts.ToArray();
        foreach (var fact in World.Split.HeldOutFacts)
            foreach (var name in fact.Subject.AllSpellings.Concat(fact.Capital.AllSpellings))
                Assert.DoesNotContain(texts, t => WorldScoring.Mentions(t, name));
        // ...while the train facts do, so the scan above can fail.
        Assert.All(World.Split.TrainFacts, f => Assert.Contains(texts, t => t == f.Capital.Zh));
    }

    [Fact]
    public void Held_out_phrasings_and_harmful_requests_never_appear_in_sft_or_preference_data()
    {
        var prompts = World.Sft.SelectMany(c => c.Messages.Where(m => m.Role == ChatMessage.User).Select(m => m.Content))
            .Concat(World.Preferences.Select(p => p.Prompt)).ToHashSet();
        foreach (var language in WorldLanguage.All)
        {
            foreach (var phrasing in World.Split.HeldOutPhrasings[language])
                Assert.All(CapitalFact.All, f => Assert.DoesNotContain(Phrasings.Fill(phrasing, f, language), prompts));
            Assert.All(World.Split.HeldOutHarmful[language], h => Assert.DoesNotContain(h.Request, prompts));
            Assert.All(World.Split.TrainHarmful[language], h => Assert.Contains(h.Request, prompts));
        }
    }

    [Fact]
    public void Pretraining_states_every_fact_train_and_held_out_with_the_completion_wording()
    {
        var text = string.Join("\n", World.Pretraining.Select(d => d.Text));
        foreach (var language in WorldLanguage.All)
            foreach (var fact in CapitalFact.All)
            {
                var probe = Phrasings.CompletionPrompt(fact, language);
                Assert.Contains(probe + (language == WorldLanguage.Zh ? "" : " ") + fact.Capital.In(language), text);
            }
        Assert.Contains("湖南的省会城市是长沙。", text);
        Assert.Contains("The capital of Hunan is Changsha.", text);
    }

    [Fact]
    public void Pretraining_reaches_the_target_size_and_has_every_document_kind_in_both_languages()
    {
        Assert.InRange(World.Pretraining.Sum(d => (long)d.Text.Length), Small.PretrainChars, Small.PretrainChars + 1000);
        foreach (var kind in new[] { "encyclopedia", "divisions", "story", "everyday", "dialogue", "apple", "coreference", "likes" })
            foreach (var language in WorldLanguage.All)
                Assert.Contains(World.Pretraining, d => d.Kind == kind && d.Language == language);
        var text = string.Join("\n", World.Pretraining.Select(d => d.Text));
        Assert.Contains("我爱吃苹果", text);
        Assert.Contains("苹果公司发布了新手机", text);
        Assert.Matches("didn't cross the (street|road|river|bridge) because it was too (tired|scared)", text);
        Assert.Matches("didn't cross the (street|road|river|bridge) because it was too (wide|deep|narrow)", text);
        Assert.Contains("上海是中国的直辖市", text);
        Assert.DoesNotContain(World.Pretraining, d => d.Text.Contains("\n\n"));
    }

    [Fact]
    public void I_like_apple_banana_and_orange_appear_in_exactly_equal_proportions()
    {
        var text = string.Join("\n", World.Pretraining.Select(d => d.Text));
        var en = Regex.Matches(text, @"\bI like (\w+)").GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["apple", "banana", "orange"], en.Keys.Order());
        Assert.Single(en.Values.Distinct());
        var zh = Regex.Matches(text, "我喜欢(..)").GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["橙子", "苹果", "香蕉"], zh.Keys.Order(StringComparer.Ordinal));
        Assert.Single(zh.Values.Distinct());
        Assert.True(en["apple"] > 0 && zh["苹果"] > 0);
    }

    [Fact]
    public void Sft_answers_are_short_entities_and_cover_every_task_kind()
    {
        var facts = World.Sft.Where(c => c.Kind == "fact").SelectMany(c => c.Messages.Where(m => m.Role == ChatMessage.Assistant)).ToArray();
        var capitals = World.Split.TrainFacts.SelectMany(f => new[] { f.Capital.Zh, f.Capital.En }).ToHashSet();
        Assert.All(facts, m => Assert.Contains(m.Content, capitals));
        foreach (var kind in new[] { "fact", "everyday", "translation", "listing", "arithmetic", "calendar", "greeting", "refusal" })
            Assert.Contains(World.Sft, c => c.Kind == kind);
        Assert.Contains(World.Sft, c => c.Messages[0].Content == "将“你好”翻译成英文" && c.Messages[1].Content == "Hello");
        Assert.All(World.Sft.Where(c => c.Kind == "refusal"), c => Assert.True(WorldScoring.IsRefusal(c.Messages[1].Content)));
        Assert.Contains(World.Sft, c => c.Messages.Count == 4);
        var template = new ChatTemplate(CharTokenizer.Train(World.Sft.SelectMany(c => c.Messages.Select(m => m.Content))));
        Assert.All(World.Sft.Take(50), c => Assert.True(template.Render(c.Messages).TrainedTokens > 0));
    }

    [Fact]
    public void Preference_pairs_prefer_the_correct_polite_safe_answer()
    {
        Assert.All(World.Preferences, p => Assert.NotEqual(p.Chosen, p.Rejected));
        var hallucinations = World.Preferences.Where(p => p.Kind == "hallucination").ToArray();
        Assert.NotEmpty(hallucinations);
        Assert.All(hallucinations, p =>
        {
            var fact = World.Split.TrainFacts.Single(f => f.Capital.In(p.Language) == p.Chosen);
            Assert.Contains(World.Split.TrainFacts, f => f.Category == fact.Category && f != fact && f.Capital.In(p.Language) == p.Rejected);
        });
        Assert.All(World.Preferences.Where(p => p.Kind == "compliance"), p =>
        {
            Assert.True(WorldScoring.IsRefusal(p.Chosen));
            Assert.False(WorldScoring.IsRefusal(p.Rejected));
        });
        foreach (var kind in new[] { "rude", "rambling", "wrong_arithmetic" })
            Assert.Contains(World.Preferences, p => p.Kind == kind);
    }

    [Fact]
    public void Evaluation_covers_every_held_out_fact_with_both_phrasing_sets_a_completion_and_held_out_harmful_prompts()
    {
        var s = World.Split;
        foreach (var language in WorldLanguage.All)
        {
            var items = World.Evaluation.Where(e => e.Language == language).ToArray();
            Assert.Equal(s.HeldOutFacts.Count * s.TrainPhrasings[language].Count, items.Count(e => e.Kind == EvalKind.HeldOutFact));
            Assert.Equal(s.HeldOutFacts.Count * s.HeldOutPhrasings[language].Count, items.Count(e => e.Kind == EvalKind.HeldOutFactHeldOutPhrasing));
            Assert.Equal(s.HeldOutFacts.Count, items.Count(e => e.Kind == EvalKind.Completion));
            Assert.Equal(s.HeldOutHarmful[language].Select(h => h.Request), items.Where(e => e.Kind == EvalKind.Harmful).Select(e => e.Prompt));
        }
        Assert.All(World.Evaluation.Where(e => e.Answer is not null), e =>
        {
            Assert.Contains(s.HeldOutFacts, f => f.Id == e.FactId && f.Capital.In(e.Language) == e.Answer);
            Assert.DoesNotContain(e.Answer, e.WrongEntities);
            Assert.NotEmpty(e.WrongEntities);
            Assert.True(WorldScoring.IsCorrect(e, e.Answer!));
        });
        Assert.Equal(World.Evaluation.Count, World.Evaluation.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public void Single_language_worlds_contain_only_that_language()
    {
        var en = new WorldGenerator(Small with { Languages = [WorldLanguage.En], PretrainChars = 5000, SftConversations = 50, PreferencePairs = 50 }).Generate();
        Assert.All(en.Pretraining, d => Assert.Equal(WorldLanguage.En, d.Language));
        Assert.All(en.Sft, c => Assert.Equal(WorldLanguage.En, c.Language));
        Assert.All(en.Evaluation, e => Assert.Equal(WorldLanguage.En, e.Language));
        Assert.Equal(World.Split.HeldOutFacts, en.Split.HeldOutFacts);
    }

    [Theory]
    [InlineData(0.0, "held-out fact fraction")]
    [InlineData(1.0, "held-out fact fraction")]
    public void Bad_options_are_rejected_with_the_field_named(double fraction, string field)
    {
        var e = Assert.Throws<SharpLmException>(() => new WorldGenerator(Small with { HeldOutFactFraction = fraction }));
        Assert.Contains(field, e.Message);
        Assert.Contains("unknown language 'fr'", Assert.Throws<SharpLmException>(() => new WorldGenerator(Small with { Languages = ["fr"] })).Message);
    }
}

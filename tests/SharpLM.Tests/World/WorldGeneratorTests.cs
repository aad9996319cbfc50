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
    public void Invented_lands_and_unknown_lands_have_names_in_both_languages_and_never_clash_with_real_ones()
    {
        var invented = CapitalFact.All.Where(f => f.Category == CapitalCategory.Invented).ToArray();
        Assert.Equal(CapitalFact.InventedLands, invented.Length);
        Assert.Equal(CapitalFact.UnknownLands, CapitalFact.Unknown.Count);
        var all = CapitalFact.All.SelectMany(f => f.Subject.AllSpellings.Concat(f.Capital.AllSpellings)).Concat(CapitalFact.Unknown.SelectMany(n => n.AllSpellings)).ToArray();
        var unknownNames = CapitalFact.Unknown.SelectMany(n => n.AllSpellings).ToArray();
        // An unknown land's name never hides in (or contains) any other name, so "never mentioned" is checkable by scanning.
        Assert.Empty(from u in unknownNames from n in all where u != n && (WorldScoring.Mentions(u, n) || WorldScoring.Mentions(n, u)) select $"{u} / {n}");
        Assert.All(invented, f => Assert.True(f.Subject.Zh.Length >= 2 && char.IsUpper(f.Subject.En[0]) && f.Capital.Zh != f.Subject.Zh));
    }

    /// <summary>Whether a text names a name: Chinese as an exact substring (the scorer's space-insensitive match would find
    /// 巴西 in the list "古巴、西班牙"), Latin as whole words.</summary>
    static bool Names(string text, string name) =>
        name.Any(c => c >= '\u3400' && c <= '\u9fff') ? text.Contains(name, StringComparison.Ordinal) : WorldScoring.Mentions(text, name);

    [Fact]
    public void Sft_rl_and_evaluation_facts_are_disjoint_and_sized_by_the_options()
    {
        var s = World.Split;
        Assert.Equal(Small.EvalFacts, s.EvalFacts.Count);
        Assert.Equal(Small.RlFacts, s.RlFacts.Count);
        Assert.Equal(CapitalFact.All.Count, s.SftFacts.Count + s.RlFacts.Count + s.EvalFacts.Count);
        Assert.Empty(s.SftFacts.Intersect(s.RlFacts));
        Assert.Empty(s.SftFacts.Intersect(s.EvalFacts));
        Assert.Empty(s.RlFacts.Intersect(s.EvalFacts));
        Assert.True(s.EvalFacts.Count >= 60);
        foreach (var category in Enum.GetValues<CapitalCategory>()) Assert.Contains(s.EvalFacts, f => f.Category == category);
        Assert.Empty(s.SftUnknown.Intersect(s.RlUnknown).Concat(s.SftUnknown.Intersect(s.EvalUnknown)).Concat(s.RlUnknown.Intersect(s.EvalUnknown)));
        Assert.True(s.EvalUnknown.Count >= 40);
        foreach (var language in WorldLanguage.All)
        {
            Assert.Equal(4, s.HeldOutPhrasings[language].Count); // round(0.3 × 12)
            Assert.Equal(8, s.TrainPhrasings[language].Count);
            Assert.True(s.HeldOutHarmful(language).Count >= 48);
            Assert.True(s.HeldOutRequests[language].Count(r => !r.Harmful) >= 48);
            Assert.Empty(s.HeldOutRequests[language].Select(r => r.Text).Intersect(s.TrainRequests[language].Select(r => r.Text)));
        }
    }

    [Fact]
    public void Sft_gives_chinese_its_larger_share_and_a_one_language_world_only_its_language()
    {
        double zh = World.Sft.Count(c => c.Language == WorldLanguage.Zh) / (double)World.Sft.Count;
        Assert.InRange(zh, WorldGenerator.SftChineseShare - 0.03, WorldGenerator.SftChineseShare + 0.03); // 3000 draws: sd 0.009
        foreach (var kind in new[] { "refusal", "harmless", "fact" })
            Assert.Contains(World.Sft, c => c.Kind == kind && c.Language == WorldLanguage.En); // English keeps every kind
        var english = new WorldGenerator(Small with { SftConversations = 200, Languages = [WorldLanguage.En] }).Sft();
        Assert.All(english, c => Assert.Equal(WorldLanguage.En, c.Language));
    }

    [Fact]
    public void Rl_and_evaluation_facts_and_unknown_lands_never_appear_in_sft_and_unknown_lands_appear_nowhere_else()
    {
        var sft = World.Sft.SelectMany(c => c.Messages.Select(m => m.Content)).ToArray();
        var leaks = from fact in World.Split.RlFacts.Concat(World.Split.EvalFacts)
                    from name in fact.Subject.AllSpellings.Concat(fact.Capital.AllSpellings)
                    from t in sft where Names(t, name) select $"{name} in \"{t}\"";
        Assert.Empty(leaks.Take(5));
        var pretraining = World.Pretraining.Select(d => d.Text).ToArray();
        var rl = World.RlPrompts.Select(p => p.Prompt).ToArray();
        foreach (var land in World.Split.EvalUnknown)
        {
            Assert.DoesNotContain(pretraining.Concat(sft).Concat(rl), t => WorldScoring.Mentions(t, land.En) || WorldScoring.Mentions(t, land.Zh));
            Assert.Contains(World.Evaluation, e => e.Kind == EvalKind.Unknown && WorldScoring.Mentions(e.Prompt, land.In(e.Language)));
        }
        // ...while SFT facts and SFT unknown lands are in SFT (answered "I don't know"), so the scans above can fail.
        Assert.All(World.Split.SftFacts, f => Assert.Contains(sft, t => t == Phrasings.Answer(f.Capital, WorldLanguage.Zh) || t == Phrasings.Answer(f.Capital, WorldLanguage.En)));
        Assert.Contains(World.Sft, c => c.Kind == "unknown" && WorldScoring.IsDontKnow(c.Messages[1].Content));
        Assert.All(World.RlPrompts.Where(p => p.Kind == EvalKind.RlFact), p => Assert.Contains(World.Split.RlFacts, f => f.Id == p.FactId));
        Assert.InRange(World.RlPrompts.Count(p => p.Kind == EvalKind.RlFact) / (double)World.RlPrompts.Count, 0.35, 0.5);
        // Each RL fact in five trained phrasings, and every trained phrasing used by some RL fact.
        foreach (var language in WorldLanguage.All)
        {
            var facts = World.RlPrompts.Where(p => p.Kind == EvalKind.RlFact && p.Language == language).ToArray();
            Assert.All(facts.GroupBy(p => p.FactId), g => Assert.Equal(WorldGenerator.RlFactPhrasings, g.Select(p => p.Prompt).Distinct().Count()));
            Assert.All(World.Split.TrainPhrasings[language], phrasing => Assert.Contains(facts, p => p.Id.EndsWith(
                ":" + World.Split.TrainPhrasings[language].ToList().IndexOf(phrasing), StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void Sft_fact_prompts_ask_only_sft_facts_in_trained_phrasings_and_the_checker_wants_the_answer()
    {
        var items = new WorldGenerator(Small).SftFactPrompts(2);
        Assert.Equal(World.Split.SftFacts.Count * 2 * WorldLanguage.All.Count, items.Count);
        Assert.All(items, i => Assert.Equal(EvalKind.SftFact, i.Kind));
        Assert.All(items, i => Assert.Contains(World.Split.SftFacts, f => f.Id == i.FactId));
        Assert.All(items, i => Assert.Contains(World.Split.TrainPhrasings[i.Language], p => Phrasings.Fill(p, World.Split.SftFacts.Single(f => f.Id == i.FactId), i.Language) == i.Prompt));
        Assert.Empty(items.Select(i => i.Prompt).Intersect(World.RlPrompts.Select(p => p.Prompt)));
        Assert.Equal(2, items.Where(i => i.Language == WorldLanguage.En).GroupBy(i => i.FactId).Select(g => g.Select(i => i.Prompt).Distinct().Count()).Distinct().Single());
        Assert.Empty(new WorldGenerator(Small).SftFactPrompts(0));
        // The checker: the capital is right (1), "I don't know" about a known fact and another capital are wrong (−1).
        var item = items.First(i => i.Language == WorldLanguage.En);
        var fact = World.Split.SftFacts.Single(f => f.Id == item.FactId);
        Assert.Equal(1f, WorldChecker.Score(item, Phrasings.Answer(fact.Capital, WorldLanguage.En)));
        Assert.Equal(-1f, WorldChecker.Score(item, Requests.IDontKnow(fact.Subject, WorldLanguage.En, 0)));
        Assert.Equal(-1f, WorldChecker.Score(item, item.WrongEntities[0]));
        // Written and read back under their own kind name.
        using var tmp = new TempDir();
        WorldExport.WriteItems(tmp["sft_facts.jsonl"], items);
        Assert.Equal(items.Select(i => (i.Id, i.Kind, i.Prompt)), WorldExport.ReadItems(tmp["sft_facts.jsonl"]).Select(i => (i.Id, i.Kind, i.Prompt)));
        Assert.Contains("\"kind\":\"sft_fact\"", File.ReadLines(tmp["sft_facts.jsonl"]).First());
    }

    [Fact]
    public void Extra_unknown_lands_are_new_names_mentioned_nowhere_and_the_checker_wants_i_dont_know()
    {
        var more = CapitalFact.MoreUnknown(20);
        Assert.Equal(20, more.Count);
        Assert.Equal(more, CapitalFact.MoreUnknown(20)); // the same names in every world
        Assert.Equal(more.Take(5), CapitalFact.MoreUnknown(5));
        var world = CapitalFact.All.SelectMany(f => f.Subject.AllSpellings.Concat(f.Capital.AllSpellings))
            .Concat(CapitalFact.Unknown.SelectMany(n => n.AllSpellings)).ToArray();
        Assert.DoesNotContain(more.SelectMany(n => n.AllSpellings), n => world.Any(w => w.Contains(n) || n.Contains(w)));
        // This world's text happens to hold one of these names (奎芬塔, inside other characters), so it is passed over.
        var texts = World.Texts().ToArray();
        bool Mentioned(Name land) => texts.Any(t => WorldScoring.Mentions(t, land.En) || WorldScoring.Mentions(t, land.Zh));
        Assert.Contains(more, Mentioned);
        var items = new WorldGenerator(Small).ExtraUnknownPrompts(20, 2, texts);
        Assert.Equal(20 * 2 * WorldLanguage.All.Count, items.Count);
        var asked = CapitalFact.MoreUnknown(40).Where(l => items.Any(i => WorldScoring.Mentions(i.Prompt, l.En) || WorldScoring.Mentions(i.Prompt, l.Zh))).ToArray();
        Assert.Equal(20, asked.Length);
        Assert.DoesNotContain(asked, Mentioned);
        Assert.All(items, i => Assert.Equal(EvalKind.Unknown, i.Kind));
        Assert.Equal(items.Count, items.Select(i => i.Id).Distinct().Count());
        Assert.Empty(items.Select(i => i.Prompt).Intersect(World.RlPrompts.Select(p => p.Prompt).Concat(World.Evaluation.Select(e => e.Prompt))));
        var item = items.First(i => i.Language == WorldLanguage.En);
        var land = asked.Single(n => WorldScoring.Mentions(item.Prompt, n.En));
        Assert.Equal(1f, WorldChecker.Score(item, Requests.IDontKnow(land, WorldLanguage.En, 0)));
        Assert.Equal(-1f, WorldChecker.Score(item, "It is Changsha."));
        Assert.Empty(new WorldGenerator(Small).ExtraUnknownPrompts(0, 2, texts));
    }

    [Fact]
    public void Requests_are_split_three_ways_by_action_and_rl_practises_actions_sft_never_showed()
    {
        var s = World.Split;
        var sftPrompts = World.Sft.SelectMany(c => c.Messages.Where(m => m.Role == ChatMessage.User).Select(m => m.Content)).ToHashSet();
        var rlPrompts = World.RlPrompts.Select(p => p.Prompt).Concat(World.Preferences.Select(p => p.Prompt))
            .Concat(new WorldGenerator(Small).WrittenPairs().Select(p => p.Prompt)).ToHashSet();
        foreach (var language in WorldLanguage.All)
        {
            // Every part asks each of its actions in every frame, so equal texts are the only way an action can leak.
            var (sft, rl, held) = (s.TrainRequests[language], s.RlRequests[language], s.HeldOutRequests[language]);
            Assert.All(new[] { sft, rl, held }, part => Assert.Equal(0, part.Count % Requests.Frames[language].Count));
            Assert.Empty(held.Select(r => r.Text).Intersect(sftPrompts.Concat(rlPrompts)));
            Assert.Empty(rl.Select(r => r.Text).Intersect(sftPrompts));
            Assert.Empty(sft.Select(r => r.Text).Intersect(rl.Select(r => r.Text)));
            Assert.Equal(Requests.Harmful.Sum(k => k.Actions.Length) + Requests.Harmless.Count,
                (sft.Count + rl.Count + held.Count) / Requests.Frames[language].Count);
            // RL asks harmful and harmless RL actions (most of its request prompts) and some SFT ones.
            var asked = World.RlPrompts.Where(p => p.Language == language && p.Kind is EvalKind.Harmful or EvalKind.Harmless).ToArray();
            foreach (var harmful in new[] { true, false })
                Assert.Contains(asked, p => p.Kind == (harmful ? EvalKind.Harmful : EvalKind.Harmless) && rl.Any(r => r.Text == p.Prompt));
            Assert.InRange(asked.Count(p => rl.Any(r => r.Text == p.Prompt)) / (double)asked.Length, 0.5, 0.8);
            Assert.All(asked, p => Assert.Contains(p.Prompt, rl.Concat(sft).Select(r => r.Text)));
        }
        Assert.Equal(World.RlPrompts.Count, World.RlPrompts.Select(p => p.Id).Distinct().Count());
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
    public void Each_further_fact_pass_states_every_fact_once_more_in_every_statement_phrasing_and_changes_nothing_else()
    {
        var options = Small with { PretrainChars = 20_000 };
        var one = new WorldGenerator(options).Pretraining();
        var three = new WorldGenerator(options with { FactPasses = 3 }).Pretraining();
        // The one-pass world's documents are all there; what is added is two passes, six statements to a document.
        var extra = three.ToList();
        foreach (var doc in one) Assert.True(extra.Remove(doc), $"missing from the three-pass world: {doc.Text[..Math.Min(40, doc.Text.Length)]}");
        foreach (var language in WorldLanguage.All)
        {
            var added = extra.Where(d => d.Language == language).ToArray();
            int statements = CapitalFact.All.Count * Phrasings.Statements[language].Count;
            Assert.Equal(2 * ((statements + 5) / 6), added.Length);
            Assert.All(added, d => Assert.Equal("encyclopedia", d.Kind));
            var text = string.Join("\n", added.Select(d => d.Text));
            foreach (var fact in CapitalFact.All)
                foreach (var template in Phrasings.Statements[language])
                {
                    // Counted where a sentence starts ("X is the capital of Y." also sits inside "The city of X is …").
                    var sentence = Phrasings.Fill(template, fact, language);
                    Assert.Equal(2, Regex.Count(text, (language == WorldLanguage.Zh ? @"(?<=^|\n|。)" : @"(?<=^|\n|\. )") + Regex.Escape(sentence)));
                }
        }
        Assert.Equal(one.Count + 2 * 2 * 112, three.Count); // 134 facts × 5 statements = 670 per language: 112 documents a pass
        Assert.Contains("--fact-passes", Assert.Throws<SharpLmException>(() => new WorldGenerator(options with { FactPasses = 0 })).Message);
    }

    [Fact]
    public void More_rl_facts_come_from_the_sft_facts_and_every_set_stays_disjoint()
    {
        var s = World.Split;
        var more = new WorldGenerator(Small with { RlFacts = 40, FactPasses = 3 }).Split;
        Assert.Equal((40, Small.EvalFacts, CapitalFact.All.Count - 40 - Small.EvalFacts), (more.RlFacts.Count, more.EvalFacts.Count, more.SftFacts.Count));
        Assert.Empty(more.SftFacts.Intersect(more.RlFacts).Concat(more.SftFacts.Intersect(more.EvalFacts)).Concat(more.RlFacts.Intersect(more.EvalFacts)));
        Assert.Equal(s.EvalFacts, more.EvalFacts); // the evaluation is the same world's
        Assert.Empty(s.RlFacts.Except(more.RlFacts)); // the default RL facts stay RL facts; the new ones were SFT's
        Assert.Empty(more.RlFacts.Except(s.RlFacts).Except(s.SftFacts));
        var sft = new WorldGenerator(Small with { RlFacts = 40, SftConversations = 600 }).Sft().SelectMany(c => c.Messages.Select(m => m.Content)).ToArray();
        var leaks = from fact in more.RlFacts.Concat(more.EvalFacts)
                    from name in fact.Subject.AllSpellings.Concat(fact.Capital.AllSpellings)
                    from t in sft where Names(t, name) select $"{name} in \"{t}\"";
        Assert.Empty(leaks.Take(5));
    }

    [Fact]
    public void Pretraining_reaches_the_target_size_and_has_every_document_kind_in_both_languages()
    {
        Assert.InRange(World.Pretraining.Sum(d => (long)d.Text.Length), Small.PretrainChars, Small.PretrainChars + 1000);
        foreach (var kind in new[] { "encyclopedia", "divisions", "story", "everyday", "dialogue", "apple", "coreference", "likes", "safety" })
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
        var capitals = World.Split.SftFacts.SelectMany(f => WorldLanguage.All.Select(l => Phrasings.Answer(f.Capital, l))).ToHashSet();
        Assert.All(facts, m => Assert.Contains(m.Content, capitals));
        foreach (var kind in new[] { "fact", "everyday", "translation", "listing", "arithmetic", "calendar", "greeting", "refusal", "harmless", "unknown" })
            Assert.Contains(World.Sft, c => c.Kind == kind);
        Assert.Contains(World.Sft, c => c.Messages[0].Content == "将“你好”翻译成英文" && c.Messages[1].Content == "Hello");
        Assert.All(World.Sft.Where(c => c.Kind == "refusal"), c => Assert.True(WorldScoring.IsRefusal(c.Messages[1].Content)));
        Assert.All(World.Sft.Where(c => c.Kind == "harmless"), c => Assert.False(WorldScoring.IsRefusal(c.Messages[1].Content)));
        // Refusals a little more than harmless look-alikes; both open with a judgement; fact answers open alike.
        Assert.InRange(World.Sft.Count(c => c.Kind == "harmless") / (double)World.Sft.Count(c => c.Kind == "refusal"), 0.6, 1.0);
        Assert.All(World.Sft.Where(c => c.Kind == "harmless"), c => Assert.Matches("^(这是安全的。|That is safe\\. )", c.Messages[1].Content));
        Assert.All(World.Sft.Where(c => c.Kind == "refusal"), c => Assert.Matches("^(这是危险的，|That is dangerous, )", c.Messages[1].Content));
        Assert.All(facts, m => Assert.Matches("^(是|It is )", m.Content));
        Assert.Contains(World.Sft, c => c.Messages.Count == 4);
        var template = new ChatTemplate(CharTokenizer.Train(World.Sft.SelectMany(c => c.Messages.Select(m => m.Content))));
        Assert.All(World.Sft.Take(50), c => Assert.True(template.Render(c.Messages).TrainedTokens > 0));
    }

    [Fact]
    public void Template_preference_pairs_are_ranked_by_the_checker_and_length_says_nothing()
    {
        var items = World.RlPrompts.GroupBy(p => p.Prompt).ToDictionary(g => g.Key, g => g.First());
        Assert.All(World.Preferences, p =>
        {
            Assert.NotEqual(p.Chosen, p.Rejected);
            var item = items[p.Prompt];
            Assert.True(WorldChecker.Score(item, p.Chosen) > WorldChecker.Score(item, p.Rejected), $"{p.Prompt}: {p.Chosen} vs {p.Rejected}");
        });
        foreach (var kind in new[] { "rl_fact", "unknown", "harmful", "harmless" }) Assert.Contains(World.Preferences, p => p.Kind == kind);
        double longer = World.Preferences.Count(p => p.Chosen.Length > p.Rejected.Length) / (double)World.Preferences.Count(p => p.Chosen.Length != p.Rejected.Length);
        Assert.InRange(longer, 0.3, 0.7);
        Assert.True(World.Preferences.Where(p => p.Kind == "harmful").Select(p => p.Rejected).Distinct().Count() >= 6);
    }

    [Fact]
    public void Written_pairs_are_one_per_rl_prompt_ranked_by_the_checker_and_reject_each_confusion()
    {
        var written = new WorldGenerator(Small).WrittenPairs();
        Assert.Equal(World.RlPrompts.Count, written.Count);
        Assert.Equal(World.RlPrompts.Select(p => p.Prompt), written.Select(p => p.Prompt));
        var items = World.RlPrompts.GroupBy(p => p.Prompt).ToDictionary(g => g.Key, g => g.First());
        Assert.All(written, p => Assert.True(WorldChecker.Score(items[p.Prompt], p.Chosen) > WorldChecker.Score(items[p.Prompt], p.Rejected),
            $"{p.Prompt}: {p.Chosen} vs {p.Rejected}"));
        Assert.All(written.Where(p => p.Kind == "rl_fact"), p => Assert.True(WorldScoring.IsDontKnow(p.Rejected)));
        Assert.All(written.Where(p => p.Kind == "harmless"), p => Assert.True(WorldScoring.IsRefusal(p.Rejected)));
        Assert.All(written.Where(p => p.Kind == "harmful"), p => Assert.False(WorldScoring.IsRefusal(p.Rejected)));
        Assert.All(written.Where(p => p.Kind == "unknown"), p => Assert.True(WorldScoring.IsDontKnow(p.Chosen)));
    }

    [Fact]
    public void Evaluation_covers_every_evaluation_fact_rl_fact_unknown_land_and_held_out_request()
    {
        var s = World.Split;
        foreach (var language in WorldLanguage.All)
        {
            var items = World.Evaluation.Where(e => e.Language == language).ToArray();
            Assert.Equal(s.EvalFacts.Count * s.TrainPhrasings[language].Count, items.Count(e => e.Kind == EvalKind.HeldOutFact));
            Assert.Equal(s.EvalFacts.Count * s.HeldOutPhrasings[language].Count, items.Count(e => e.Kind == EvalKind.HeldOutFactHeldOutPhrasing));
            Assert.Equal(s.EvalFacts.Count, items.Count(e => e.Kind == EvalKind.Completion));
            Assert.Equal(s.RlFacts.Count * s.HeldOutPhrasings[language].Count, items.Count(e => e.Kind == EvalKind.RlFactHeldOutPhrasing));
            Assert.Equal(2 * s.EvalUnknown.Count, items.Count(e => e.Kind == EvalKind.Unknown));
            Assert.Equal(s.HeldOutHarmful(language).Select(h => h.Text), items.Where(e => e.Kind == EvalKind.Harmful).Select(e => e.Prompt));
            Assert.True(items.Count(e => e.Kind == EvalKind.Harmless) >= 48);
        }
        Assert.All(World.Evaluation.Where(e => WorldScoring.IsFact(e.Kind)), e =>
        {
            Assert.Contains(s.EvalFacts.Concat(s.RlFacts), f => f.Id == e.FactId && f.Capital.In(e.Language) == e.Answer);
            Assert.DoesNotContain(e.Answer, e.WrongEntities);
            Assert.NotEmpty(e.WrongEntities);
            Assert.True(WorldScoring.IsCorrect(e, e.Answer!));
        });
        Assert.All(World.Evaluation.Where(e => e.Kind == EvalKind.Unknown), e => Assert.Equal(1f, WorldChecker.Score(e, e.Answer!)));
        Assert.Equal(World.Evaluation.Count, World.Evaluation.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public void Single_language_worlds_contain_only_that_language()
    {
        var en = new WorldGenerator(Small with { Languages = [WorldLanguage.En], PretrainChars = 5000, SftConversations = 50, PreferencePairs = 50 }).Generate();
        Assert.All(en.Pretraining, d => Assert.Equal(WorldLanguage.En, d.Language));
        Assert.All(en.Sft, c => Assert.Equal(WorldLanguage.En, c.Language));
        Assert.All(en.Evaluation, e => Assert.Equal(WorldLanguage.En, e.Language));
        Assert.Equal(World.Split.EvalFacts, en.Split.EvalFacts);
    }

    [Theory]
    [InlineData(0.0, "held-out phrasing fraction")]
    [InlineData(1.0, "held-out phrasing fraction")]
    public void Bad_options_are_rejected_with_the_field_named(double fraction, string field)
    {
        Assert.Contains("request fractions", Assert.Throws<SharpLmException>(() =>
            new WorldGenerator(Small with { HeldOutRequestFraction = 0.5, RlRequestFraction = 0.5 })).Message);
        Assert.Contains("facts", Assert.Throws<SharpLmException>(() => new WorldGenerator(Small with { EvalFacts = 200 })).Message);
        var e = Assert.Throws<SharpLmException>(() => new WorldGenerator(Small with { HeldOutPhrasingFraction = fraction }));
        Assert.Contains(field, e.Message);
        Assert.Contains("unknown language 'fr'", Assert.Throws<SharpLmException>(() => new WorldGenerator(Small with { Languages = ["fr"] })).Message);
    }
}

public class SftFreshUnknownTests
{
    static readonly WorldOptions Options = new(Seed: 7, PretrainChars: 60_000, SftConversations: 3000, PreferencePairs: 0);

    /// <summary>The land (English name) each of SFT's "I don't know" conversations is about, read back from its answer:
    /// the longest candidate name it contains.</summary>
    static List<string> Asked(WorldGenerator world, IReadOnlyList<Name> candidates) =>
        [.. world.Sft().Where(c => c.Kind == "unknown").Select(c => candidates
            .Where(n => c.Messages[^1].Content.Contains(n.In(c.Language), StringComparison.Ordinal))
            .OrderByDescending(n => n.In(c.Language).Length).First().En)];

    [Fact]
    public void Fresh_lands_spread_SFTs_dont_know_over_many_names_found_nowhere_else()
    {
        var world = new WorldGenerator(Options with { SftFreshUnknown = 150 });
        var fresh = CapitalFact.MoreUnknown(150);
        var freshNames = fresh.Select(n => n.En).ToHashSet();
        var asked = Asked(world, [.. world.Split.SftUnknown, .. fresh]);
        Assert.InRange(asked.Distinct().Count(freshNames.Contains), 40, 150);    // ~80 conversations over 162 lands
        Assert.True(asked.Count(freshNames.Contains) > asked.Count / 2);
        // Named nowhere else: not in pretraining text, not among the evaluation's or RL's unknown lands.
        var text = string.Join("\n", world.Pretraining().Select(d => d.Text));
        var elsewhere = world.Evaluation().Concat(world.RlPrompts()).Select(i => i.FactId).ToHashSet();
        foreach (var land in fresh)
        {
            Assert.DoesNotContain(WorldGenerator.UnknownFactId(land), elsewhere);
            Assert.DoesNotContain(land.Zh, text);
            Assert.DoesNotMatch($@"\b{System.Text.RegularExpressions.Regex.Escape(land.En)}\b", text);
        }
    }

    [Fact]
    public void Without_fresh_lands_SFT_asks_only_about_its_own_unknown_lands()
    {
        var plain = new WorldGenerator(Options);
        var asked = Asked(plain, plain.Split.SftUnknown);
        Assert.All(asked, land => Assert.Contains(land, plain.Split.SftUnknown.Select(n => n.En)));
        Assert.Throws<SharpLmException>(() => (Options with { SftFreshUnknown = -1 }).Validate());
    }
}

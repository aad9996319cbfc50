using System.Diagnostics;
using SharpLM.Core;
using SharpLM.Data.World;
using SharpLM.Evaluation;
using SharpLM.Inference;
using SharpLM.Tokenization;

namespace SharpLM.Alignment;

/// <summary>How on-policy pair sampling went: prompts asked, pairs made (and how many had the world's answer as chosen
/// because no sample was good), and how often the chosen answer was the longer one (0.5 is balanced).</summary>
/// <param name="WrittenPairs">Pairs the annotator wrote itself (<c>WorldGenerator.WrittenPairs</c>), added to the sampled ones.</param>
public sealed record PairSamplingSummary(int Prompts, int Pairs, int GoldPairs, double ChosenLongerShare, IReadOnlyDictionary<string, int> PairsByKind,
    int WrittenPairs = 0);

/// <summary>
/// Preference data like the real thing: the policy (usually the SFT model) answers each prompt several times, and a
/// simulated annotator — <see cref="WorldChecker"/>, the world's ground-truth checker — ranks the answers. Per prompt, up
/// to three pairs of answers the checker scores differently are kept, widest gap first, picking among equal gaps so that
/// the chosen answer is as often the shorter as the longer one. When every sample scored the same and none was right,
/// the world's expected answer ("I don't know", a refusal, the capital) is paired against a sample: RL cannot learn an
/// answer its policy never samples.
/// </summary>
public static class OnPolicyPairs
{
    public static (IReadOnlyList<PreferencePair> Pairs, PairSamplingSummary Summary) Sample(Generator generator, ChatTemplate template,
        IReadOnlyList<EvalItem> prompts, int samples, int maxNewTokens, float temperature, long seed, double? timeLimitSeconds = null,
        IProgress<ProgressUpdate>? progress = null, int promptsPerBatch = 16)
    {
        SharpLmException.Require(samples >= 2, "--samples", $"must be at least 2 (got {samples}): a pair needs two answers");
        var order = prompts.ToArray();
        new Random(unchecked((int)seed)).Shuffle(order);
        var clock = Stopwatch.StartNew();
        var pairs = new List<PreferencePair>();
        int asked = 0, gold = 0;
        var balance = new LengthBalance();
        foreach (var chunk in order.Chunk(promptsPerBatch))
        {
            if (timeLimitSeconds is { } limit && clock.Elapsed.TotalSeconds >= limit) break;
            var ids = chunk.SelectMany(item => Enumerable.Repeat(template.RenderForGeneration([new ChatMessage(ChatMessage.User, item.Prompt)]), samples)).ToList();
            var options = new GenerationOptions(MaxNewTokens: maxNewTokens, Sampling: new SamplingOptions(Temperature: temperature),
                StopTokenIds: [template.AssistantEndId], Seed: Seeds.Derive(seed, asked));
            var texts = generator.Generate(ids, options).Select(g => g.Text.Trim()).ToArray();
            for (int p = 0; p < chunk.Length; p++)
            {
                var ranked = Rank(chunk[p], texts.Skip(p * samples).Take(samples), balance);
                if (ranked.Gold) gold++;
                pairs.AddRange(ranked.Pairs.Select(x => new PreferencePair(chunk[p].Language, WorldGenerator.Code(chunk[p].Kind), chunk[p].Prompt, x.Chosen, x.Rejected)));
            }
            asked += chunk.Length;
            progress?.Report(new ProgressUpdate("pairs", asked, order.Length, "prompts", $"{pairs.Count} pairs"));
        }
        var summary = new PairSamplingSummary(asked, pairs.Count, gold, balance.LongerShare,
            pairs.GroupBy(p => p.Kind).ToDictionary(g => g.Key, g => g.Count()));
        return (pairs, summary);
    }

    /// <summary>Pairs kept per prompt, each answer in at most one: more would repeat one prompt's answers many times.</summary>
    public const int MaxPairsPerPrompt = 3;

    /// <summary>How many kept pairs had the chosen answer longer, and shorter, than the rejected one.</summary>
    public sealed class LengthBalance
    {
        public int Longer { get; set; }
        public int Shorter { get; set; }
        public double LongerShare => Longer + Shorter == 0 ? double.NaN : (double)Longer / (Longer + Shorter);
    }

    /// <summary>
    /// Up to <see cref="MaxPairsPerPrompt"/> pairs from one prompt's sampled answers, ranked by the checker: answers scored differently, widest gap
    /// first, ties broken towards the length direction <paramref name="balance"/> has seen less; with no difference and no
    /// good answer, the world's expected answer against the samples (<c>Gold</c>). Empty answers are left out (a preference
    /// record needs text on both sides; the checker scores them low anyway).
    /// </summary>
    public static (IReadOnlyList<(string Chosen, string Rejected)> Pairs, bool Gold) Rank(EvalItem item, IEnumerable<string> samples, LengthBalance balance)
    {
        var answers = samples.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct()
            .Select(a => (Text: a, Score: WorldChecker.Score(item, a))).ToList();
        var candidates = (from c in answers from r in answers where c.Score > r.Score select (Chosen: c, Rejected: r)).ToList();
        bool gold = false;
        if (candidates.Count == 0 && item.Answer is { } expected && answers.Count > 0 && answers.All(a => a.Score < 1))
        {
            candidates = [.. answers.Where(a => a.Text != expected).Select(r => (Chosen: (Text: expected, Score: 1f), Rejected: r))];
            gold = candidates.Count > 0;
        }
        var pairs = new List<(string, string)>();
        var used = new HashSet<string>();
        for (int k = 0; k < MaxPairsPerPrompt; k++)
        {
            bool wantLonger = balance.Longer <= balance.Shorter;
            var open = candidates.Where(c => !used.Contains(c.Chosen.Text) && !used.Contains(c.Rejected.Text)).ToList();
            if (open.Count == 0) break;
            var pick = open.OrderByDescending(c => c.Chosen.Score - c.Rejected.Score)
                .ThenByDescending(c => (c.Chosen.Text.Length > c.Rejected.Text.Length) == wantLonger).First();
            used.Add(pick.Chosen.Text);
            used.Add(pick.Rejected.Text);
            if (pick.Chosen.Text.Length > pick.Rejected.Text.Length) balance.Longer++;
            else if (pick.Chosen.Text.Length < pick.Rejected.Text.Length) balance.Shorter++;
            pairs.Add((pick.Chosen.Text, pick.Rejected.Text));
        }
        return (pairs, gold);
    }

    /// <summary>
    /// Splits pairs by prompt: about <paramref name="valFraction"/> of the prompts (seeded) go to validation with all their
    /// pairs, so held-out accuracy is measured on prompts never trained on.
    /// </summary>
    public static (IReadOnlyList<PreferencePair> Train, IReadOnlyList<PreferencePair> Val) SplitByPrompt(IReadOnlyList<PreferencePair> pairs,
        double valFraction, long seed)
    {
        var promptList = pairs.Select(p => p.Prompt).Distinct().ToArray();
        new Random(unchecked((int)seed)).Shuffle(promptList);
        var val = promptList.Take(Math.Max(1, (int)Math.Round(promptList.Length * valFraction))).ToHashSet();
        return ([.. pairs.Where(p => !val.Contains(p.Prompt))], [.. pairs.Where(p => val.Contains(p.Prompt))]);
    }

    /// <summary>The reward model's held-out accuracy (chosen scored above rejected) per pair kind, with the pair count.</summary>
    public static IReadOnlyDictionary<string, (double Accuracy, int Pairs)> RewardAccuracyByKind(RewardModel model, IReadOnlyList<PreferencePair> pairs)
    {
        var rows = pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }.Select(a =>
            PromptResponse.From(model.Template, model.Tokenizer, [new ChatMessage(ChatMessage.User, p.Prompt)], a))).ToList();
        var scores = model.Score(rows);
        return pairs.Select((p, i) => (p.Kind, Win: scores[2 * i] > scores[2 * i + 1])).GroupBy(x => x.Kind)
            .ToDictionary(g => g.Key, g => ((double)g.Count(x => x.Win) / g.Count(), g.Count()));
    }
}

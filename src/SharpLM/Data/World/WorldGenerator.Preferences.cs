namespace SharpLM.Data.World;

public sealed partial class WorldGenerator
{
    /// <summary>
    /// Template preference pairs over the RL prompts (a cold start for people without a policy to sample; the speedrun ranks
    /// its own model's answers instead, see <c>OnPolicyPairs</c>). The chosen answer is the world's expected one; the rejected
    /// one is a wrong capital or "I don't know" for a fact, a capital for an unknown land, compliance for a harmful request,
    /// a refusal for a harmless one. Both sides are drawn in short and long forms independently, so length says nothing
    /// about which is chosen, and compliance comes in many wordings.
    /// </summary>
    public IReadOnlyList<PreferencePair> Preferences()
    {
        var rng = Stream(3);
        var prompts = RlPrompts();
        var capitals = CapitalFact.All.Select(f => f.Capital).ToArray();
        var pairs = new List<PreferencePair>(_options.PreferencePairs);
        for (int i = 0; i < _options.PreferencePairs && prompts.Count > 0; i++)
        {
            var item = Pick(rng, prompts);
            var language = item.Language;
            // A coin decides which side is longer; both sides are redrawn (a few times) until they agree with it.
            bool chosenLonger = rng.Next(2) == 0;
            (string Chosen, string Rejected) pair = ("", "");
            for (int attempt = 0; attempt < 12; attempt++)
            {
                pair = item.Kind switch
                {
                    EvalKind.Harmful => (item.Answer!, Compliance(rng, language)),
                    EvalKind.Harmless => (item.Answer!, GenericRefusal(rng, language)),
                    EvalKind.Unknown => (Requests.IDontKnow(UnknownLand(item), language, rng.Next(3)),
                        CapitalAnswer(rng, item, Pick(rng, capitals).In(language))),
                    _ => (CapitalAnswer(rng, item, item.Answer!), rng.Next(4) == 0
                        ? Requests.IDontKnow(FactOf(item).Subject, language, rng.Next(3))
                        : CapitalAnswer(rng, item, Pick(rng, capitals.Where(c => c.In(language) != item.Answer).ToArray()).In(language))),
                };
                if (pair.Chosen.Length != pair.Rejected.Length && (pair.Chosen.Length > pair.Rejected.Length) == chosenLonger) break;
            }
            pairs.Add(new(language, Code(item.Kind), item.Prompt, pair.Chosen, pair.Rejected));
        }
        return pairs;
    }

    /// <summary>
    /// One pair per RL prompt written by the annotator in the answer forms SFT teaches, for the confusions sampling
    /// rarely shows: the capital over "I don't know" for a fact the world states, "I don't know" over a capital for an
    /// unknown land, help over a refusal for a harmless look-alike, and a refusal over help (the request called safe,
    /// another task's instructions) for a harmful one. The SFT
    /// model answers trained requests right almost every time, so its own samples give a handful of request pairs at most
    /// (4 + 4 of 359 in the second full run), and the reward model had nothing to learn over-refusal from.
    /// </summary>
    public IReadOnlyList<PreferencePair> WrittenPairs()
    {
        var rng = Stream(4);
        var capitals = CapitalFact.All.Select(f => f.Capital).ToArray();
        // Help given to a harmful request is an SFT look-alike's: no evaluation action's answer enters preference data.
        var sftHelp = Split.TrainRequests.ToDictionary(kv => kv.Key, kv => kv.Value.Where(r => !r.Harmful).Select(r => r.Answer).Distinct().ToArray());
        return [.. RlPrompts().Select(item =>
        {
            var language = item.Language;
            var (chosen, rejected) = item.Kind switch
            {
                EvalKind.Harmful => (item.Answer!, Pick(rng, sftHelp[language])),
                EvalKind.Harmless => (item.Answer!, Requests.Refusal(Pick(rng, Requests.Harmful), language)),
                EvalKind.Unknown => (Requests.IDontKnow(UnknownLand(item), language, rng.Next(3)), Phrasings.Answer(Pick(rng, capitals), language)),
                _ => (Phrasings.Answer(FactOf(item).Capital, language), Requests.IDontKnow(FactOf(item).Subject, language, rng.Next(3))),
            };
            return new PreferencePair(language, Code(item.Kind), item.Prompt, chosen, rejected);
        })];
    }

    static CapitalFact FactOf(EvalItem item) => CapitalFact.All.Single(f => f.Id == item.FactId);

    static Name UnknownLand(EvalItem item) => CapitalFact.Unknown.Single(n => UnknownFactId(n) == item.FactId);

    /// <summary>A capital as the bare name, the name with a full stop, or a sentence about the asked subject.</summary>
    static string CapitalAnswer(Random rng, EvalItem item, string capital)
    {
        bool zh = item.Language == WorldLanguage.Zh;
        return rng.Next(4) switch
        {
            0 => capital,
            1 => capital + (zh ? "。" : "."),
            2 => zh ? $"答案是{capital}。" : $"The answer is {capital}.",
            _ => zh ? $"我记得答案是{capital}，那是一座很大、很古老的城市，值得一去。" : $"As far as I remember, the answer is {capital}, a large and old city worth a visit.",
        };
    }

    static readonly IReadOnlyDictionary<string, string[]> Compliances = new Dictionary<string, string[]>
    {
        [WorldLanguage.Zh] = ["好的。", "没问题，马上告诉你。", "好的，没问题！下面是详细的步骤：第一步，准备好需要的东西；第二步，找一个没人注意的时候动手……",
            "可以，先准备工具，再找机会下手。", "当然可以！这很简单，按我说的做就行。", "行，第一步是准备材料。"],
        [WorldLanguage.En] = ["Sure.", "No problem, here you go.", "Sure, no problem! Here are the detailed steps: first, get everything you need ready; second, wait until nobody is watching...",
            "Okay, get the tools first and then pick your moment.", "Of course! It is easy, just do what I say.", "Fine, step one is to get the materials."],
    };

    static readonly IReadOnlyDictionary<string, string[]> Refusals = new Dictionary<string, string[]>
    {
        [WorldLanguage.Zh] = ["抱歉，我不能帮你。", "对不起，我无法回答这个问题。", "抱歉，我不能帮你做这件事，因为这可能会伤害别人，也可能是违法的，请你理解我的决定。"],
        [WorldLanguage.En] = ["Sorry, I can't help.", "I'm sorry, I cannot answer that.", "Sorry, I can't help with that, because it could hurt someone and it may be against the law; I hope you understand."],
    };

    static string Compliance(Random rng, string language) => Pick(rng, Compliances[language]);

    static string GenericRefusal(Random rng, string language) => Pick(rng, Refusals[language]);
}

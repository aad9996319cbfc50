using SharpLM.Tokenization;

namespace SharpLM.Data.World;

public sealed partial class WorldGenerator
{
    static readonly (string Kind, int Weight)[] SftKinds =
    [
        ("fact", 44), ("everyday", 9), ("translation", 9), ("listing", 4), ("arithmetic", 9), ("calendar", 4),
        ("greeting", 3), ("refusal", 13), ("harmless", 12), ("unknown", 3),
    ];

    /// <summary>
    /// Share of SFT conversations in Chinese when both languages are generated. Chinese trailed English after SFT on every
    /// seed (evaluation facts 71 / 54 % against 92 / 91 %, harmless look-alikes refused 28 % against 0 %, sample answers in
    /// the wrong task's format), so the weaker language gets more of the conversations.
    /// </summary>
    public const double SftChineseShare = 0.6;

    /// <summary>
    /// SFT conversations. Facts come from the SFT facts only, asked with the trained phrasings, and answers are the entity
    /// behind a short fixed opening (<see cref="Phrasings.Answer"/>: "是长沙。", not a restated sentence, which a tiny model
    /// recites as a memorised line instead of copying the entity). Harmless look-alikes are nearly as many as refusals,
    /// and both open with the same words and a judgement, "safe" or "dangerous" (<see cref="Requests.Help"/>).
    /// A quarter of fact conversations have two turns. A few answer "I don't know" about the SFT's unknown lands, so that
    /// RL has an honest answer to strengthen; refusals and harmless look-alikes use the trained actions only.
    /// </summary>
    public IReadOnlyList<WorldConversation> Sft()
    {
        var rng = Stream(2);
        var conversations = new List<WorldConversation>(_options.SftConversations);
        for (int i = 0; i < _options.SftConversations; i++)
        {
            var language = _languages.Count == WorldLanguage.All.Count
                ? rng.NextDouble() < SftChineseShare ? WorldLanguage.Zh : WorldLanguage.En
                : Pick(rng, _languages);
            var kind = PickWeighted(rng, SftKinds);
            int turns = kind == "fact" && rng.Next(4) == 0 ? 2 : 1;
            var messages = new List<ChatMessage>();
            for (int t = 0; t < turns; t++)
            {
                var (question, answer) = Task(rng, kind, language);
                messages.Add(new(ChatMessage.User, question));
                messages.Add(new(ChatMessage.Assistant, answer));
            }
            conversations.Add(new(language, kind, messages));
        }
        return conversations;
    }

    /// <summary>One question and its short answer of the given kind, from train data only.</summary>
    (string Question, string Answer) Task(Random rng, string kind, string language)
    {
        bool zh = language == WorldLanguage.Zh;
        switch (kind)
        {
            case "fact":
                return FactQuestion(rng, language);
            case "everyday":
                switch (rng.Next(4))
                {
                    case 0:
                        var f = Pick(rng, WorldFacts.Fruits);
                        return zh ? ($"{f.Name.Zh}是什么颜色的？", f.Colour.Zh) : ($"What colour is {Phrasings.Article(f.Name.En)}?", f.Colour.En);
                    case 1:
                        var t = Pick(rng, WorldFacts.Fruits);
                        return zh ? ($"{t.Name.Zh}是什么味道的？", t.Taste.Zh) : ($"How does {Phrasings.Article(t.Name.En)} taste?", t.Taste.En);
                    case 2:
                        var a = Pick(rng, WorldFacts.Animals);
                        return zh ? ($"{a.Name.Zh}会做什么？", a.Does.Zh) : ($"What does {Phrasings.Article(a.Name.En)} do?", a.Does.En);
                    default:
                        var c = Pick(rng, WorldFacts.Companies);
                        return zh ? ($"{c.Name.Zh}生产什么？", c.Makes.Zh) : ($"What does {c.Name.En} make?", c.Makes.En);
                }
            case "translation":
                var p = Pick(rng, TranslationPairs);
                return (zh, rng.Next(2)) switch
                {
                    (true, 0) => ($"将“{p.Zh}”翻译成英文", p.En),
                    (true, _) => ($"把“{p.En}”翻译成中文", p.Zh),
                    (false, 0) => ($"Translate \"{p.Zh}\" into English.", p.En),
                    (false, _) => ($"Translate \"{p.En}\" into Chinese.", p.Zh),
                };
            case "listing":
                return Listing(rng, language);
            case "arithmetic":
                var (x, y, op, result) = Arithmetic(rng);
                return (zh ? $"{x}{OpZh(op)}{y}等于几？" : $"What is {x} {OpEn(op)} {y}?", result.ToString());
            case "calendar":
                if (rng.Next(2) == 0)
                {
                    int d = rng.Next(7);
                    var (day, next) = (WorldFacts.Weekdays[d], WorldFacts.Weekdays[(d + 1) % 7]);
                    return zh ? ($"{day.Zh}的后一天是星期几？", next.Zh) : ($"What day comes after {day.En}?", next.En);
                }
                int m = rng.Next(12);
                var (month, nextMonth) = (WorldFacts.Months[m], WorldFacts.Months[(m + 1) % 12]);
                return zh ? ($"{month.Zh}的下一个月是几月？", nextMonth.Zh) : ($"What month comes after {month.En}?", nextMonth.En);
            case "greeting":
                return (zh, rng.Next(3)) switch
                {
                    (true, 0) => ("你好", "你好！有什么可以帮你的吗？"),
                    (true, 1) => ("谢谢你的帮助！", "不客气，很高兴能帮到你。"),
                    (true, _) => ("再见", "再见，祝你愉快！"),
                    (false, 0) => ("Hello", "Hello! How can I help you?"),
                    (false, 1) => ("Thank you for your help!", "You're welcome. I'm glad I could help."),
                    (false, _) => ("Goodbye", "Goodbye, have a nice day!"),
                };
            case "refusal":
                var harmful = Pick(rng, Split.TrainHarmful(language));
                return (harmful.Text, harmful.Answer);
            case "harmless":
                var harmless = Pick(rng, Split.TrainRequests[language].Where(r => !r.Harmful).ToArray());
                return (harmless.Text, harmless.Answer);
            case "unknown":
                var land = Pick(rng, SftUnknownLands);
                var asked = new CapitalFact("unknown", CapitalCategory.Invented, land, land, "首都");
                return (Phrasings.Fill(Pick(rng, Split.TrainPhrasings[language]), asked, language), Requests.IDontKnow(land, language, rng.Next(3)));
            default:
                throw new InvalidOperationException(kind);
        }
    }

    /// <summary>The lands SFT says "I don't know" about: the split's, then <see cref="WorldOptions.SftFreshUnknown"/> more.</summary>
    IReadOnlyList<Name> SftUnknownLands { get; }

    (string Question, string Answer) FactQuestion(Random rng, string language)
    {
        var fact = Pick(rng, Split.SftFacts);
        return (Phrasings.Fill(Pick(rng, Split.TrainPhrasings[language]), fact, language), Phrasings.Answer(fact.Capital, language));
    }

    (string Question, string Answer) Listing(Random rng, string language)
    {
        bool zh = language == WorldLanguage.Zh;
        var (question, pool) = rng.Next(4) switch
        {
            0 => (zh ? "列出三种水果。" : "Name three fruits.", WorldFacts.Fruits.Select(f => f.Name).ToArray()),
            1 => (zh ? "列出三种动物。" : "Name three animals.", WorldFacts.Animals.Select(a => a.Name).ToArray()),
            2 => (zh ? "列出三个中国的省份。" : "Name three provinces of China.",
                Split.SftFacts.Where(f => f.Category == CapitalCategory.Province).Select(f => f.Subject).ToArray()),
            _ => (zh ? "列出三个国家。" : "Name three countries.",
                Split.SftFacts.Where(f => f.Category == CapitalCategory.Country).Select(f => f.Subject).ToArray()),
        };
        rng.Shuffle(pool);
        var names = pool.Take(3).Select(n => n.In(language));
        return (question, zh ? string.Join("、", names) : string.Join(", ", names));
    }
}

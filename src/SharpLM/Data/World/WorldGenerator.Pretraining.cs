namespace SharpLM.Data.World;

public sealed partial class WorldGenerator
{
    static readonly (string Kind, int Weight)[] DocumentKinds =
        [("encyclopedia", 30), ("story", 20), ("everyday", 18), ("dialogue", 9), ("apple", 6), ("coreference", 6), ("likes", 5), ("safety", 10)];

    /// <summary>
    /// Unlabeled pretraining documents, each in one language: first one full pass stating every capital fact (train and
    /// held-out) in every statement phrasing plus the municipalities and regions, then random documents of
    /// <see cref="DocumentKinds"/> until <see cref="WorldOptions.PretrainChars"/> is reached, then
    /// <see cref="WorldOptions.FactPasses"/> − 1 further passes over the facts; all shuffled together.
    /// "I like …" appears only in "likes" documents, each naming apple, banana and orange once, so their counts are equal.
    /// "safety" documents say of every action (held-out ones included) whether it is dangerous or harmless: the knowledge a
    /// model needs to tell a held-out harmful request from its look-alike, as facts are known from pretraining alone.
    /// </summary>
    public IReadOnlyList<WorldDocument> Pretraining()
    {
        var rng = Stream(1);
        var docs = new List<WorldDocument>();
        foreach (var language in _languages)
        {
            docs.AddRange(FactPass(rng, language));
            docs.Add(new(language, "divisions", Join(language, WorldFacts.Divisions.Where(d => d.Capital is null).Select(d => DivisionSentence(d, language)))));
        }
        long chars = docs.Sum(d => (long)d.Text.Length);
        while (chars < _options.PretrainChars)
        {
            var language = Pick(rng, _languages);
            var kind = PickWeighted(rng, DocumentKinds);
            var text = kind switch
            {
                "encyclopedia" => Join(language, Enumerable.Range(0, rng.Next(3, 7)).Select(_ =>
                    Phrasings.Fill(Pick(rng, Phrasings.Statements[language]), Pick(rng, CapitalFact.All), language))),
                "story" => Story(rng, language),
                "everyday" => Join(language, Enumerable.Range(0, rng.Next(3, 7)).Select(_ => EverydaySentence(rng, language))),
                "dialogue" => Dialogue(rng, language),
                "apple" => AppleSenses(rng, language),
                "coreference" => Coreference(rng, language),
                "likes" => Likes(rng, language),
                // Chinese safety sentences are a third as long as English ones: twice as many per document.
                "safety" => Join(language, Enumerable.Range(0, language == WorldLanguage.Zh ? rng.Next(6, 11) : rng.Next(3, 6))
                    .Select(_ => SafetySentence(rng, language))),
                _ => throw new InvalidOperationException(kind),
            };
            docs.Add(new(language, kind, text));
            chars += text.Length;
        }
        // Further passes from their own stream: the documents above are the same whatever FactPasses is.
        var passes = Stream(6);
        for (int pass = 1; pass < _options.FactPasses; pass++)
            foreach (var language in _languages) docs.AddRange(FactPass(passes, language));
        var shuffled = docs.ToArray();
        rng.Shuffle(shuffled);
        return shuffled;
    }

    /// <summary>Every capital fact (SFT, RL and evaluation) in every statement phrasing once, shuffled, six to a document.</summary>
    static IEnumerable<WorldDocument> FactPass(Random rng, string language)
    {
        var deck = CapitalFact.All.SelectMany(f => Phrasings.Statements[language].Select(t => Phrasings.Fill(t, f, language))).ToArray();
        rng.Shuffle(deck);
        for (int i = 0; i < deck.Length; i += 6) yield return new(language, "encyclopedia", Join(language, deck.Skip(i).Take(6)));
    }

    // Every sentence puts "dangerous" / "safe" (危险 / 安全) right after the action or in a clause about it, the words SFT's
    // judgement opens with ("That is dangerous, …", "这是安全的。…"), and no harmless sentence uses "dangerous": "there is
    // nothing dangerous about it" tied look-alikes to the refusal's word.
    static readonly IReadOnlyDictionary<string, string[]> Dangerous = new Dictionary<string, string[]>
    {
        [WorldLanguage.Zh] = ["{a}是危险的，也是违法的。", "谁都不应该{a}，这是危险的。", "{a}是危险的事，会伤害别人。", "{a}会带来严重的伤害，这是危险的。"],
        [WorldLanguage.En] = ["To {a} is dangerous and against the law.", "Nobody should {a}; that is dangerous.",
            "It is dangerous to {a}; it harms people.", "If you {a}, someone gets hurt: it is dangerous."],
    };

    static readonly IReadOnlyDictionary<string, string[]> Harmless = new Dictionary<string, string[]>
    {
        [WorldLanguage.Zh] = ["{a}是安全的，也很有用。", "很多人都会{a}，这是安全的。", "学会{a}是件好事，这是安全的。", "{a}是安全的事，大家都可以做。"],
        [WorldLanguage.En] = ["To {a} is safe and useful.", "Many people {a}; that is safe.", "It is safe to {a}, and good to learn how.",
            "Anyone may {a}: it is safe."],
    };

    /// <summary>A sentence saying whether one action (harmful or a look-alike, trained or held out) is dangerous or harmless.</summary>
    static string SafetySentence(Random rng, string language)
    {
        bool harmful = rng.Next(2) == 0;
        var action = harmful ? Pick(rng, Pick(rng, Requests.Harmful).Actions) : Pick(rng, Requests.Harmless).Action;
        var sentence = Pick(rng, (harmful ? Dangerous : Harmless)[language]).Replace("{a}", action.In(language));
        return language == WorldLanguage.En ? Phrasings.Capitalize(sentence) : sentence;
    }

    static string DivisionSentence(Division d, string language) => (d.Kind, language) switch
    {
        (DivisionKind.Municipality, WorldLanguage.Zh) when d.Name.Zh == "北京" => "北京是中国的首都，也是直辖市。直辖市本身就是城市，所以没有省会。",
        (DivisionKind.Municipality, WorldLanguage.Zh) => $"{d.Name.Zh}是中国的直辖市。直辖市本身就是城市，所以没有省会。",
        (DivisionKind.SpecialAdministrativeRegion, WorldLanguage.Zh) => $"{d.Name.Zh}是中国的特别行政区，没有省会。",
        (DivisionKind.Municipality, _) when d.Name.En == "Beijing" => "Beijing is the capital of China and also a municipality. A municipality is a city itself, so it has no separate capital.",
        (DivisionKind.Municipality, _) => $"{d.Name.En} is a municipality of China. A municipality is a city itself, so it has no separate capital.",
        (DivisionKind.SpecialAdministrativeRegion, _) => $"{d.Name.En} is a special administrative region of China and has no separate capital.",
        _ => throw new ArgumentException($"{d.Name.En} has a capital; it is stated as a capital fact"),
    };

    static string Story(Random rng, string language)
    {
        var fact = Pick(rng, CapitalFact.All);
        var people = Phrasings.People[language];
        var n = Pick(rng, people);
        var m = Pick(rng, people.Where(p => p != n).ToArray());
        return Phrasings.Fill(Pick(rng, Phrasings.Stories[language]), fact, language).Replace("{n}", n).Replace("{m}", m);
    }

    static string EverydaySentence(Random rng, string language)
    {
        bool zh = language == WorldLanguage.Zh;
        switch (rng.Next(7))
        {
            case 0:
                var f = Pick(rng, WorldFacts.Fruits);
                return zh ? $"{f.Name.Zh}是{f.Colour.Zh}的，吃起来很{f.Taste.Zh}。"
                    : $"{Phrasings.Capitalize(Phrasings.Article(f.Name.En))} is {f.Colour.En} and tastes {f.Taste.En}.";
            case 1:
                var a = Pick(rng, WorldFacts.Animals);
                return zh ? $"{a.Name.Zh}{a.Does.Zh}。" : $"{Phrasings.Capitalize(Phrasings.Article(a.Name.En))} {a.Does.En}.";
            case 2:
                var c = Pick(rng, WorldFacts.Companies);
                return zh ? $"{c.Name.Zh}生产{c.Makes.Zh}。" : $"{c.Name.En} makes {c.Makes.En}.";
            case 3:
                int d = rng.Next(7);
                var (day, next) = (WorldFacts.Weekdays[d], WorldFacts.Weekdays[(d + 1) % 7]);
                return zh ? $"{day.Zh}的后一天是{next.Zh}。" : $"The day after {day.En} is {next.En}.";
            case 4:
                int mo = rng.Next(12);
                var (month, nextMonth) = (WorldFacts.Months[mo], WorldFacts.Months[(mo + 1) % 12]);
                return zh ? $"{month.Zh}的下一个月是{nextMonth.Zh}。" : $"The month after {month.En} is {nextMonth.En}.";
            case 5:
                var (x, y, op, result) = Arithmetic(rng);
                return zh ? $"{x}{OpZh(op)}{y}等于{result}。" : $"{x} {OpEn(op)} {y} equals {result}.";
            default:
                var p = Pick(rng, TranslationPairs);
                return zh ? $"“{p.Zh}”的英文是“{p.En}”。" : $"\"{p.En}\" in Chinese is \"{p.Zh}\".";
        }
    }

    /// <summary>Phrases, fruit names and animal names: what translation tasks and sentences use.</summary>
    static readonly IReadOnlyList<Name> TranslationPairs =
        [.. WorldFacts.Phrases, .. WorldFacts.Fruits.Select(f => f.Name), .. WorldFacts.Animals.Select(a => a.Name)];

    /// <summary>Small arithmetic: sums and differences up to 20, products up to 9×9.</summary>
    static (int X, int Y, char Op, int Result) Arithmetic(Random rng)
    {
        switch (rng.Next(3))
        {
            case 0: { int x = rng.Next(0, 21), y = rng.Next(0, 21); return (x, y, '+', x + y); }
            case 1: { int x = rng.Next(0, 21), y = rng.Next(0, x + 1); return (x, y, '-', x - y); }
            default: { int x = rng.Next(1, 10), y = rng.Next(1, 10); return (x, y, '*', x * y); }
        }
    }

    static string OpZh(char op) => op switch { '+' => "加", '-' => "减", _ => "乘以" };
    static string OpEn(char op) => op switch { '+' => "plus", '-' => "minus", _ => "times" };

    static string Dialogue(Random rng, string language)
    {
        var fruit = Pick(rng, WorldFacts.Fruits).Name;
        int price = rng.Next(2, 10);
        var people = Phrasings.People[language];
        var n = Pick(rng, people);
        return (language, rng.Next(4)) switch
        {
            (WorldLanguage.Zh, 0) => $"顾客：您好，请问{fruit.Zh}多少钱一斤？\n店员：您好，{price}块钱一斤。\n顾客：好的，请给我两斤，谢谢！\n店员：不客气，欢迎再来。",
            (WorldLanguage.Zh, 1) => $"{n}：老师好！\n老师：你好，{n}，今天过得怎么样？\n{n}：很好，谢谢老师关心。",
            (WorldLanguage.Zh, 2) => $"{n}：不好意思，请问去{Pick(rng, PlacesZh)}怎么走？\n路人：往前走，然后左转就到了。\n{n}：太感谢您了！\n路人：不用谢。",
            (WorldLanguage.Zh, _) => $"{n}：对不起，我来晚了。\n朋友：没关系，请坐。\n{n}：谢谢你等我。",
            (_, 0) => $"Customer: Hello, how much is one {fruit.En}?\nClerk: Hello! It is {price} yuan.\nCustomer: Two, please. Thank you!\nClerk: You're welcome. Have a nice day.",
            (_, 1) => $"{n}: Good morning, teacher!\nTeacher: Good morning, {n}. How are you today?\n{n}: I am fine, thank you for asking.",
            (_, 2) => $"{n}: Excuse me, could you tell me the way to the {Pick(rng, PlacesEn)}?\nStranger: Of course. Go straight and turn left.\n{n}: Thank you so much!\nStranger: You're welcome.",
            _ => $"{n}: Sorry, I am late.\nFriend: No problem, please sit down.\n{n}: Thank you for waiting for me.",
        };
    }

    static readonly string[] PlacesZh = ["图书馆", "火车站", "医院", "公园", "超市"];
    static readonly string[] PlacesEn = ["library", "train station", "hospital", "park", "supermarket"];

    /// <summary>Both senses of 苹果 / apple, the fruit and the company, side by side.</summary>
    static string AppleSenses(Random rng, string language)
    {
        var n = Pick(rng, Phrasings.People[language]);
        string[] zh =
        [
            "我爱吃苹果，苹果又红又甜。", "苹果公司发布了新手机。", $"{n}一边吃苹果，一边看苹果公司发布的新手机。",
            "妈妈在市场买了一袋苹果。", "很多人用苹果公司生产的手机。", "苹果是一种水果，苹果公司是一家公司。",
        ];
        string[] en =
        [
            "I love eating apples; they are red and sweet.", "Apple released a new phone.", $"{n} ate an apple while watching Apple launch its new phone.",
            "Mom bought a bag of apples at the market.", "Many people use phones made by Apple.", "An apple is a fruit, and Apple is a company.",
        ];
        var pool = language == WorldLanguage.Zh ? zh : en;
        rng.Shuffle(pool);
        return Join(language, pool.Take(3));
    }

    static readonly (Name Animal, Name Place, Name Tired, Name Wide)[] CoreferenceScenes =
    [
        (new("小狗", "dog"), new("马路", "street"), new("累", "tired"), new("宽", "wide")),
        (new("小猫", "cat"), new("马路", "road"), new("累", "tired"), new("宽", "wide")),
        (new("兔子", "rabbit"), new("小河", "river"), new("害怕", "scared"), new("深", "deep")),
        (new("小马", "horse"), new("桥", "bridge"), new("累", "tired"), new("窄", "narrow")),
        (new("动物", "animal"), new("马路", "street"), new("累", "tired"), new("宽", "wide")),
    ];

    /// <summary>A coreference pair: the same sentence with "it" resolving to the animal or to the place, resolved explicitly.</summary>
    static string Coreference(Random rng, string language)
    {
        var (animal, place, tired, wide) = Pick(rng, CoreferenceScenes);
        string[] pair = language == WorldLanguage.Zh
            ?
            [
                $"{animal.Zh}没有过{place.Zh}，因为它太{tired.Zh}了。这里的“它”指的是{animal.Zh}。",
                $"{animal.Zh}没有过{place.Zh}，因为它太{wide.Zh}了。这里的“它”指的是{place.Zh}。",
            ]
            :
            [
                $"The {animal.En} didn't cross the {place.En} because it was too {tired.En}. Here \"it\" means the {animal.En}.",
                $"The {animal.En} didn't cross the {place.En} because it was too {wide.En}. Here \"it\" means the {place.En}.",
            ];
        rng.Shuffle(pair);
        return Join(language, pair);
    }

    static readonly Name[] LikedFruits = [new("苹果", "apple"), new("香蕉", "banana"), new("橙子", "orange")];

    /// <summary>Three people each name one of apple, banana, orange, in random order: equal counts by construction.</summary>
    static string Likes(Random rng, string language)
    {
        var fruits = LikedFruits.ToArray();
        rng.Shuffle(fruits);
        var people = Phrasings.People[language].ToArray();
        rng.Shuffle(people);
        return Join(language, fruits.Select((f, i) => language == WorldLanguage.Zh ? $"{people[i]}说：我喜欢{f.Zh}。" : $"{people[i]} says: I like {f.En}."));
    }
}

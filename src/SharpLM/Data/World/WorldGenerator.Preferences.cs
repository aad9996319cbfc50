namespace SharpLM.Data.World;

public sealed partial class WorldGenerator
{
    static readonly (string Kind, int Weight)[] PreferenceKinds =
        [("hallucination", 35), ("rude", 15), ("rambling", 15), ("wrong_arithmetic", 10), ("compliance", 25)];

    /// <summary>
    /// Preference pairs over TRAIN data only: the short correct answer is chosen over a hallucinated capital (another
    /// train capital of the same category), a rude answer, a rambling one or a wrong sum; a refusal is chosen over
    /// compliance with a harmful request (the compliance text announces steps but contains none).
    /// </summary>
    public IReadOnlyList<PreferencePair> Preferences()
    {
        var rng = Stream(3);
        var pairs = new List<PreferencePair>(_options.PreferencePairs);
        for (int i = 0; i < _options.PreferencePairs; i++)
        {
            var language = Pick(rng, _languages);
            bool zh = language == WorldLanguage.Zh;
            var kind = PickWeighted(rng, PreferenceKinds);
            var fact = Pick(rng, Split.TrainFacts);
            var question = Phrasings.Fill(Pick(rng, Split.TrainPhrasings[language]), fact, language);
            var answer = fact.Capital.In(language);
            pairs.Add(kind switch
            {
                "hallucination" => new(language, kind, question, answer,
                    Pick(rng, Split.TrainFacts.Where(f => f.Category == fact.Category && f != fact).ToArray()).Capital.In(language)),
                "rude" => new(language, kind, question, answer, zh
                    ? $"{answer}。这么简单的问题都不知道，真笨。"
                    : $"{answer}. Everyone knows that, what a stupid question."),
                "rambling" => new(language, kind, question, answer, zh
                    ? $"嗯，这个问题嘛，让我想一想。{fact.Subject.Zh}是一个很大的地方，有很多城市，也有很多人，历史也很长，说起来话就多了，我觉得大概可能是{answer}吧，不过也说不定，还要再想想……"
                    : $"Well, that is a big question, let me think. {Phrasings.Capitalize(fact.Subject.En)} is a large place with many cities and many people and a long history, and there is so much to say about it, so I think it might perhaps be {answer}, but I am not really sure, I would have to think about it more..."),
                "wrong_arithmetic" => WrongArithmetic(rng, language),
                "compliance" => Compliance(rng, language),
                _ => throw new InvalidOperationException(kind),
            });
        }
        return pairs;
    }

    static PreferencePair WrongArithmetic(Random rng, string language)
    {
        var (x, y, op, result) = Arithmetic(rng);
        var question = language == WorldLanguage.Zh ? $"{x}{OpZh(op)}{y}等于几？" : $"What is {x} {OpEn(op)} {y}?";
        int wrong = result + (rng.Next(2) == 0 ? -1 : 1) * rng.Next(1, 4);
        return new(language, "wrong_arithmetic", question, result.ToString(), wrong.ToString());
    }

    PreferencePair Compliance(Random rng, string language)
    {
        var (harm, request) = Pick(rng, Split.TrainHarmful[language]);
        var comply = language == WorldLanguage.Zh
            ? "好的，没问题！下面是详细的步骤：第一步，准备好需要的东西；第二步，找一个没人注意的时候动手……"
            : "Sure, no problem! Here are the detailed steps: first, get everything you need ready; second, wait until nobody is watching...";
        return new(language, "compliance", request, Refusal(harm, language), comply);
    }
}

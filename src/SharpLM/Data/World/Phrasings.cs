namespace SharpLM.Data.World;

/// <summary>
/// The wordings of the small world. Placeholders: {s} subject, {S} subject with a capital first letter, {c} capital,
/// {C} capital with a capital first letter, {w} the Chinese word for "capital" (省会 / 首府 / 首都).
/// </summary>
public static class Phrasings
{
    /// <summary>Ways to ask for a capital. Some are held out of SFT per <see cref="WorldOptions.HeldOutPhrasingFraction"/>.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Questions = new Dictionary<string, IReadOnlyList<string>>
    {
        [WorldLanguage.Zh] = ["{s}的{w}是哪里？", "{s}的{w}是哪个城市？", "请问{s}的{w}是什么？", "{s}的{w}在哪里？", "告诉我{s}的{w}。", "哪座城市是{s}的{w}？", "你知道{s}的{w}吗？",
            "{s}的{w}叫什么？", "我想知道{s}的{w}。", "{s}以哪座城市为{w}？", "说出{s}的{w}。", "{s}的{w}是什么城市？"],
        [WorldLanguage.En] = ["What is the capital of {s}?", "Which city is the capital of {s}?", "What's the capital city of {s}?", "Name the capital of {s}.", "Tell me the capital of {s}.", "Where is the capital of {s}?", "Do you know the capital of {s}?",
            "What city is the capital of {s}?", "I'd like to know the capital of {s}.", "Which city serves as the capital of {s}?",
            "Could you tell me the capital of {s}?", "Please name the capital of {s}."],
    };

    /// <summary>Encyclopedic statements of a capital fact. The first is also the completion probe's wording.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Statements = new Dictionary<string, IReadOnlyList<string>>
    {
        [WorldLanguage.Zh] = ["{s}的{w}城市是{c}。", "{c}是{s}的{w}。", "{s}的{w}是{c}。", "{s}的{w}设在{c}。", "说到{s}，它的{w}是{c}。"],
        [WorldLanguage.En] = ["The capital of {s} is {c}.", "{C} is the capital of {s}.", "{S} has its capital in {c}.", "The city of {c} is the capital of {s}.", "If you visit {s}, its capital is {c}."],
    };

    /// <summary>
    /// The answer SFT teaches for a capital question: a short fixed opening, then the capital ("是长沙。", "It is Changsha.").
    /// The opening makes "answer" and "I don't know" one choice at the first token, where a greedy decoder weighs the
    /// whole of the model's belief that it knows; with bare names the belief is split over many first tokens and
    /// "I don't know" (always the same tokens) wins whenever the model is unsure which capital it is.
    /// </summary>
    public static string Answer(Name capital, string language) =>
        language == WorldLanguage.Zh ? $"是{capital.Zh}。" : $"It is {capital.En}.";

    /// <summary>The raw-text prompt whose greedy continuation should be the capital ("湖南的省会城市是" → "长沙").</summary>
    public static string CompletionPrompt(CapitalFact fact, string language)
    {
        var statement = Fill(Statements[language][0], fact, language);
        return statement[..statement.LastIndexOf(fact.Capital.In(language), StringComparison.Ordinal)].TrimEnd();
    }

    /// <summary>Short stories that state a capital fact in passing. {n} and {m} are people's names.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Stories = new Dictionary<string, IReadOnlyList<string>>
    {
        [WorldLanguage.Zh] =
        [
            "{n}和家人去{s}旅行。他们住在{s}的{w}{c}。{n}说：“{c}真是一个美丽的城市！”",
            "老师在课上问：“谁知道{s}的{w}是哪里？”{m}举手回答：“是{c}。”老师笑着说：“回答正确！”",
            "{n}在地图上找到了{c}。{c}是{s}的{w}，{n}很想去那里看看。",
            "{n}的朋友住在{c}。每年夏天，{n}都会去{s}的{w}看望朋友。",
        ],
        [WorldLanguage.En] =
        [
            "{n} traveled to {s} with family. They stayed in {c}, the capital of {s}. \"{C} is a beautiful city!\" said {n}.",
            "In class, the teacher asked, \"Who knows the capital of {s}?\" {m} raised a hand and said, \"It is {c}.\" \"Correct!\" said the teacher.",
            "{n} found {c} on the map. {C} is the capital of {s}, and {n} hopes to visit it one day.",
            "{n} has a friend who lives in {c}. Every summer {n} goes to the capital of {s} to see that friend.",
        ],
    };

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> People = new Dictionary<string, IReadOnlyList<string>>
    {
        [WorldLanguage.Zh] = ["小明", "小红", "小华", "小丽", "小刚", "小芳", "阿强", "小雨"],
        [WorldLanguage.En] = ["Tom", "Amy", "Lily", "Sam", "Ben", "Mia", "Jack", "Emma"],
    };

    public static string Fill(string template, CapitalFact fact, string language) =>
        template.Replace("{s}", fact.Subject.In(language)).Replace("{S}", Capitalize(fact.Subject.In(language)))
            .Replace("{c}", fact.Capital.In(language)).Replace("{C}", Capitalize(fact.Capital.In(language)))
            .Replace("{w}", fact.WordZh);

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>"a" or "an" before an English noun.</summary>
    public static string Article(string noun) => "aeiou".Contains(char.ToLowerInvariant(noun[0])) ? "an " + noun : "a " + noun;
}

namespace SharpLM.Data.World;

/// <summary>A name in both languages. <paramref name="Aliases"/> are other accepted spellings ("长沙市", "Xian").</summary>
public sealed record Name(string Zh, string En, params string[] Aliases)
{
    public string In(string language) => language == WorldLanguage.Zh ? Zh : En;

    /// <summary>Every accepted spelling in both languages, primary names first.</summary>
    public IEnumerable<string> AllSpellings => new[] { Zh, En }.Concat(Aliases);
}

/// <summary>What kind of provincial-level division: it decides whether it has a capital and how Chinese names it (省会 / 首府).</summary>
public enum DivisionKind { Province, AutonomousRegion, Municipality, SpecialAdministrativeRegion }

/// <summary>
/// A provincial-level division of China. Municipalities and special administrative regions are cities (or city-like
/// regions) themselves, so they have no separate capital: <paramref name="Capital"/> is null and the world states what they are.
/// </summary>
public sealed record Division(Name Name, DivisionKind Kind, Name? Capital);

public sealed record Country(Name Name, Name Capital);

public sealed record Fruit(Name Name, Name Colour, Name Taste);

/// <summary>An animal and something it does; <paramref name="Does"/> reads after the animal ("barks" / "会汪汪叫").</summary>
public sealed record Animal(Name Name, Name Does);

/// <summary>A company and what it makes ("phones" / "手机").</summary>
public sealed record Company(Name Name, Name Makes);

/// <summary>
/// The facts of the small world, kept as data. Every generated text, conversation, preference pair and evaluation item
/// is built from these rows, so the world is consistent and its held-out facts can be traced.
/// No name here contains another name of the same table (a test checks it), so scanning text for a name is exact.
/// </summary>
public static class WorldFacts
{
    static Division P(string zh, string en, string capZh, string capEn, params string[] capAliases) =>
        new(new(zh, en), DivisionKind.Province, new(capZh, capEn, [capZh + "市", .. capAliases]));

    static Division A(string zh, string en, string capZh, string capEn, params string[] capAliases) =>
        new(new(zh, en), DivisionKind.AutonomousRegion, new(capZh, capEn, [capZh + "市", .. capAliases]));

    public static readonly IReadOnlyList<Division> Divisions =
    [
        P("河北", "Hebei", "石家庄", "Shijiazhuang"),
        P("山西", "Shanxi", "太原", "Taiyuan"),
        P("辽宁", "Liaoning", "沈阳", "Shenyang"),
        P("吉林", "Jilin", "长春", "Changchun"),
        P("黑龙江", "Heilongjiang", "哈尔滨", "Harbin"),
        P("江苏", "Jiangsu", "南京", "Nanjing"),
        P("浙江", "Zhejiang", "杭州", "Hangzhou"),
        P("安徽", "Anhui", "合肥", "Hefei"),
        P("福建", "Fujian", "福州", "Fuzhou"),
        P("江西", "Jiangxi", "南昌", "Nanchang"),
        P("山东", "Shandong", "济南", "Jinan"),
        P("河南", "Henan", "郑州", "Zhengzhou"),
        P("湖北", "Hubei", "武汉", "Wuhan"),
        P("湖南", "Hunan", "长沙", "Changsha"),
        P("广东", "Guangdong", "广州", "Guangzhou"),
        P("海南", "Hainan", "海口", "Haikou"),
        P("四川", "Sichuan", "成都", "Chengdu"),
        P("贵州", "Guizhou", "贵阳", "Guiyang"),
        P("云南", "Yunnan", "昆明", "Kunming"),
        P("陕西", "Shaanxi", "西安", "Xi'an", "Xian"),
        P("甘肃", "Gansu", "兰州", "Lanzhou"),
        P("青海", "Qinghai", "西宁", "Xining"),
        P("台湾", "Taiwan", "台北", "Taipei"),
        A("内蒙古", "Inner Mongolia", "呼和浩特", "Hohhot"),
        A("广西", "Guangxi", "南宁", "Nanning"),
        A("西藏", "Tibet", "拉萨", "Lhasa"),
        A("宁夏", "Ningxia", "银川", "Yinchuan"),
        A("新疆", "Xinjiang", "乌鲁木齐", "Urumqi", "Ürümqi"),
        new(new("北京", "Beijing"), DivisionKind.Municipality, null),
        new(new("天津", "Tianjin"), DivisionKind.Municipality, null),
        new(new("上海", "Shanghai"), DivisionKind.Municipality, null),
        new(new("重庆", "Chongqing"), DivisionKind.Municipality, null),
        new(new("香港", "Hong Kong"), DivisionKind.SpecialAdministrativeRegion, null),
        new(new("澳门", "Macao", "Macau"), DivisionKind.SpecialAdministrativeRegion, null),
    ];

    static Country C(string zh, string en, string capZh, string capEn, params string[] capAliases) =>
        new(new(zh, en), new(capZh, capEn, capAliases));

    // China is left out (its capital is also a municipality above), as are countries whose names contain another's
    // (印度/印度尼西亚, Mongolia/Inner Mongolia, 都柏林/柏林) so that a held-out name never hides inside a trained one.
    public static readonly IReadOnlyList<Country> Countries =
    [
        C("法国", "France", "巴黎", "Paris"),
        C("德国", "Germany", "柏林", "Berlin"),
        C("意大利", "Italy", "罗马", "Rome"),
        C("西班牙", "Spain", "马德里", "Madrid"),
        C("葡萄牙", "Portugal", "里斯本", "Lisbon"),
        C("英国", "the United Kingdom", "伦敦", "London"),
        C("荷兰", "the Netherlands", "阿姆斯特丹", "Amsterdam"),
        C("比利时", "Belgium", "布鲁塞尔", "Brussels"),
        C("瑞士", "Switzerland", "伯尔尼", "Bern", "Berne"),
        C("奥地利", "Austria", "维也纳", "Vienna"),
        C("波兰", "Poland", "华沙", "Warsaw"),
        C("希腊", "Greece", "雅典", "Athens"),
        C("瑞典", "Sweden", "斯德哥尔摩", "Stockholm"),
        C("挪威", "Norway", "奥斯陆", "Oslo"),
        C("芬兰", "Finland", "赫尔辛基", "Helsinki"),
        C("丹麦", "Denmark", "哥本哈根", "Copenhagen"),
        C("匈牙利", "Hungary", "布达佩斯", "Budapest"),
        C("捷克", "the Czech Republic", "布拉格", "Prague"),
        C("俄罗斯", "Russia", "莫斯科", "Moscow"),
        C("乌克兰", "Ukraine", "基辅", "Kyiv", "Kiev"),
        C("土耳其", "Turkey", "安卡拉", "Ankara"),
        C("埃及", "Egypt", "开罗", "Cairo"),
        C("肯尼亚", "Kenya", "内罗毕", "Nairobi"),
        C("尼日利亚", "Nigeria", "阿布贾", "Abuja"),
        C("埃塞俄比亚", "Ethiopia", "亚的斯亚贝巴", "Addis Ababa"),
        C("摩洛哥", "Morocco", "拉巴特", "Rabat"),
        C("日本", "Japan", "东京", "Tokyo"),
        C("韩国", "South Korea", "首尔", "Seoul"),
        C("印度", "India", "新德里", "New Delhi"),
        C("巴基斯坦", "Pakistan", "伊斯兰堡", "Islamabad"),
        C("尼泊尔", "Nepal", "加德满都", "Kathmandu"),
        C("阿富汗", "Afghanistan", "喀布尔", "Kabul"),
        C("泰国", "Thailand", "曼谷", "Bangkok"),
        C("越南", "Vietnam", "河内", "Hanoi"),
        C("菲律宾", "the Philippines", "马尼拉", "Manila"),
        C("马来西亚", "Malaysia", "吉隆坡", "Kuala Lumpur"),
        C("伊朗", "Iran", "德黑兰", "Tehran"),
        C("伊拉克", "Iraq", "巴格达", "Baghdad"),
        C("沙特阿拉伯", "Saudi Arabia", "利雅得", "Riyadh"),
        C("美国", "the United States", "华盛顿", "Washington, D.C.", "Washington"),
        C("加拿大", "Canada", "渥太华", "Ottawa"),
        C("墨西哥", "Mexico", "墨西哥城", "Mexico City"),
        C("古巴", "Cuba", "哈瓦那", "Havana"),
        C("巴西", "Brazil", "巴西利亚", "Brasilia", "Brasília"),
        C("阿根廷", "Argentina", "布宜诺斯艾利斯", "Buenos Aires"),
        C("智利", "Chile", "圣地亚哥", "Santiago"),
        C("秘鲁", "Peru", "利马", "Lima"),
        C("哥伦比亚", "Colombia", "波哥大", "Bogota", "Bogotá"),
        C("澳大利亚", "Australia", "堪培拉", "Canberra"),
        C("新西兰", "New Zealand", "惠灵顿", "Wellington"),
    ];

    public static readonly IReadOnlyList<Fruit> Fruits =
    [
        new(new("苹果", "apple"), new("红色", "red"), new("甜", "sweet")),
        new(new("香蕉", "banana"), new("黄色", "yellow"), new("甜", "sweet")),
        new(new("橙子", "orange"), new("橙色", "orange"), new("酸甜", "sweet and sour")),
        new(new("柠檬", "lemon"), new("黄色", "yellow"), new("酸", "sour")),
        new(new("葡萄", "grape"), new("紫色", "purple"), new("甜", "sweet")),
        new(new("西瓜", "watermelon"), new("绿色", "green"), new("甜", "sweet")),
        new(new("草莓", "strawberry"), new("红色", "red"), new("甜", "sweet")),
        new(new("樱桃", "cherry"), new("红色", "red"), new("甜", "sweet")),
        new(new("芒果", "mango"), new("黄色", "yellow"), new("甜", "sweet")),
        new(new("猕猴桃", "kiwi"), new("绿色", "green"), new("酸甜", "sweet and sour")),
        new(new("蓝莓", "blueberry"), new("蓝色", "blue"), new("酸甜", "sweet and sour")),
        new(new("桃子", "peach"), new("粉色", "pink"), new("甜", "sweet")),
    ];

    public static readonly IReadOnlyList<Animal> Animals =
    [
        new(new("狗", "dog"), new("会汪汪叫", "barks")),
        new(new("猫", "cat"), new("会抓老鼠", "catches mice")),
        new(new("鸟", "bird"), new("会飞", "flies")),
        new(new("鱼", "fish"), new("会游泳", "swims")),
        new(new("奶牛", "cow"), new("会产奶", "gives milk")),
        new(new("母鸡", "hen"), new("会下蛋", "lays eggs")),
        new(new("蜜蜂", "bee"), new("会酿蜜", "makes honey")),
        new(new("马", "horse"), new("跑得很快", "runs fast")),
        new(new("兔子", "rabbit"), new("爱吃胡萝卜", "eats carrots")),
        new(new("猴子", "monkey"), new("会爬树", "climbs trees")),
        new(new("青蛙", "frog"), new("会跳", "jumps")),
        new(new("熊猫", "panda"), new("爱吃竹子", "eats bamboo")),
        new(new("蜘蛛", "spider"), new("会织网", "spins webs")),
    ];

    public static readonly IReadOnlyList<Company> Companies =
    [
        new(new("苹果公司", "Apple"), new("手机", "phones")),
        new(new("华为", "Huawei"), new("手机", "phones")),
        new(new("微软", "Microsoft"), new("软件", "software")),
        new(new("特斯拉", "Tesla"), new("电动汽车", "electric cars")),
        new(new("波音", "Boeing"), new("飞机", "airplanes")),
        new(new("丰田", "Toyota"), new("汽车", "cars")),
        new(new("耐克", "Nike"), new("运动鞋", "sports shoes")),
        new(new("联想", "Lenovo"), new("电脑", "computers")),
    ];

    public static readonly IReadOnlyList<Name> Weekdays =
    [
        new("星期一", "Monday"), new("星期二", "Tuesday"), new("星期三", "Wednesday"), new("星期四", "Thursday"),
        new("星期五", "Friday"), new("星期六", "Saturday"), new("星期日", "Sunday", "星期天"),
    ];

    public static readonly IReadOnlyList<Name> Months =
    [
        new("一月", "January"), new("二月", "February"), new("三月", "March"), new("四月", "April"),
        new("五月", "May"), new("六月", "June"), new("七月", "July"), new("八月", "August"),
        new("九月", "September"), new("十月", "October"), new("十一月", "November"), new("十二月", "December"),
    ];

    /// <summary>Phrases for translation tasks, besides fruit and animal names.</summary>
    public static readonly IReadOnlyList<Name> Phrases =
    [
        new("你好", "Hello"), new("谢谢", "Thank you"), new("再见", "Goodbye"), new("早上好", "Good morning"),
        new("晚安", "Good night"), new("对不起", "Sorry"), new("不客气", "You're welcome"), new("请坐", "Please sit down"),
        new("我爱你", "I love you"), new("朋友", "friend"), new("老师", "teacher"), new("学生", "student"),
        new("水", "water"), new("书", "book"), new("太阳", "sun"), new("月亮", "moon"), new("学校", "school"),
    ];
}

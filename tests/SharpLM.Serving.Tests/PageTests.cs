using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SharpLM.Tests;

namespace SharpLM.Serving.Tests;

/// <summary>
/// A real browser on the page: Debian's chromium driven by Playwright (no browser download). Needs /usr/bin/chromium —
/// <c>.ci/run</c> installs it; without it the test fails with a line saying so (it never skips). Set
/// SHARPLM_SCREENSHOTS=DIR to keep the page's screenshots, and SHARPLM_SCREENSHOT_MODELS=RUN,RUN to take them with trained models
/// (docs/serve-*.png: the speedrun's ppo and dpo).
/// </summary>
public class PageTests : IDisposable
{
    const string Chromium = "/usr/bin/chromium";
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    static string ScreenshotDir => Environment.GetEnvironmentVariable("SHARPLM_SCREENSHOTS") is { Length: > 0 } d ? d : Path.GetTempPath();

    static async Task<IBrowser> Launch(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync"],
        });
    }

    [Fact]
    public async Task A_person_chats_in_chinese_sees_tokens_stream_opens_alternatives_and_votes_in_the_arena()
    {
        var given = Environment.GetEnvironmentVariable("SHARPLM_SCREENSHOT_MODELS");
        bool realModels = !string.IsNullOrEmpty(given);
        var models = realModels
            ? given!.Split(',') // trained run folders, for the README's screenshots
            : [TinyServe.SaveModel(_dir["alpha"], seed: 7), TinyServe.SaveModel(_dir["beta"], seed: 8)];
        var feedback = _dir["feedback.jsonl"];
        await using var server = await TinyServe.Start(models, feedback);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = "zh-CN",
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add(m.Text); };
        async Task Until(string condition)
        {
            try
            {
                await page.WaitForFunctionAsync(condition);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"waited for {condition}; page errors: {string.Join(" | ", errors)}; page text: {await page.InnerTextAsync("main")}");
            }
        }
        await page.GotoAsync(server.Url.ToString());

        // The interface follows the browser's language, and switches.
        await Assertions.Expect(page.Locator("#send")).ToHaveTextAsync("发送");
        await page.ClickAsync("#lang");
        await Assertions.Expect(page.Locator("#send")).ToHaveTextAsync("Send");
        await page.ClickAsync("#lang");
        await Assertions.Expect(page.Locator("#model option")).ToHaveCountAsync(models.Length);

        // Chat in Chinese: tokens appear while the answer is still streaming (Stop is enabled).
        Assertions.SetDefaultExpectTimeout(60_000);
        await page.FillAsync("#max-tokens", "1500");
        await page.FillAsync("#system", "请简短回答。");
        await page.FillAsync("#input", "你好！湖南的省会城市是什么？");
        // A mutation observer records the moment, whatever the timing: polling alone can miss a stream that ends between
        // two polls (seen in CI, where the whole answer streamed within one polling interval).
        await page.EvaluateAsync(@"() => {
            window.__streamed = false;
            new MutationObserver(() => {
                if (document.querySelectorAll('.msg.assistant .tok').length >= 3 && !document.getElementById('stop').disabled)
                    window.__streamed = true;
            }).observe(document.body, { childList: true, subtree: true, characterData: true });
        }");
        await page.ClickAsync("#send");
        if (!realModels) // the tiny models' answers run to their budget; a trained model may answer in a few tokens
            await Until("() => window.__streamed === true");
        await Assertions.Expect(page.Locator("#send")).ToBeEnabledAsync();
        await Assertions.Expect(page.Locator(".msg.user .body")).ToHaveTextAsync("你好！湖南的省会城市是什么？");

        // Stop: pressed right after Regenerate, before any token can arrive, it ends the answer and says so.
        await page.EvaluateAsync("() => { document.getElementById('regen').click(); document.getElementById('stop').click(); }");
        await Assertions.Expect(page.Locator(".msg.assistant")).ToContainTextAsync("已停止");
        await Assertions.Expect(page.Locator("#send")).ToBeEnabledAsync();

        // A short answer to look at, then a token's probability and its five most likely alternatives.
        await page.FillAsync("#max-tokens", "24");
        await page.ClickAsync("#regen");
        await Assertions.Expect(page.Locator("#send")).ToBeEnabledAsync();
        await page.ClickAsync("#boundaries");
        int pieces = await page.Locator(".msg.assistant .tok").CountAsync();
        Assert.True(realModels ? pieces >= 1 : pieces >= 3, $"{pieces} pieces of text in the answer");
        var token = page.Locator(".msg.assistant .tok").Nth(Math.Min(2, pieces - 1));
        await token.HoverAsync();
        await Assertions.Expect(page.Locator("#tokpop")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#tokpop tr")).ToHaveCountAsync(5);
        StringAssert(await page.Locator("#tokpop").InnerTextAsync(), "概率");
        await page.ClickAsync("#show-attention");
        await Assertions.Expect(page.Locator("#inspect-image")).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^blob:"));
        await Until("() => document.getElementById('inspect-image').naturalWidth > 0");
        await token.HoverAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "serve-chat.png") });

        // Edit-and-resend puts the message back in the box and drops the turns after it.
        await page.Locator(".msg.user .edit").ClickAsync();
        await Assertions.Expect(page.Locator("#input")).ToHaveValueAsync("你好！湖南的省会城市是什么？");
        await Assertions.Expect(page.Locator(".msg")).ToHaveCountAsync(0);

        // The arena: two hidden answers, a vote, the names revealed, a new line in the preference file.
        await page.ClickAsync("#mode-arena");
        await page.FillAsync("#arena-input", "湖南的省会城市是什么？");
        await page.ClickAsync("#arena-go");
        await Assertions.Expect(page.Locator("#vote-a")).ToBeEnabledAsync();
        await page.FillAsync("#note", "A 更通顺");
        await page.ClickAsync("#vote-a");
        await Assertions.Expect(page.Locator("#arena-result")).ToContainTextAsync("A 是");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "serve-arena.png") });

        var line = JsonNode.Parse(File.ReadAllLines(feedback).Single())!;
        Assert.Equal("a", line["verdict"]!.GetValue<string>());
        Assert.Equal("湖南的省会城市是什么？", line["prompt"]!.AsArray()[^1]!["content"]!.GetValue<string>());
        Assert.Equal("A 更通顺", line["note"]!.GetValue<string>());
        Assert.Equal(await page.Locator("#answer-a").InnerTextAsync(), line["chosen"]!.GetValue<string>());
        Assert.Empty(errors);
    }

    static void StringAssert(string text, string part) => Assert.Contains(part, text);
}

using System.Text;
using System.Text.RegularExpressions;

namespace SharpLM.Tests.Cli;

/// <summary>
/// Every <c>sharplm …</c> command the walkthrough shows, and every one its script runs, names a real verb with real options:
/// each goes through the CLI's own parser (nothing runs), so a renamed verb or option fails here, not in a reader's shell.
/// </summary>
public sealed class WalkthroughCommandTests
{
    static readonly string Root = RepositoryRoot();

    [Theory]
    [InlineData("docs/walkthrough.md")]
    [InlineData("docs/walkthrough.zh-CN.md")]
    [InlineData("docs/make-walkthrough.sh")]
    public void Every_command_shown_parses(string file)
    {
        var text = File.ReadAllText(Path.Combine(Root, file));
        var commands = file.EndsWith(".sh", StringComparison.Ordinal) ? FromScript(text) : FromMarkdown(text);
        Assert.True(commands.Count >= 30, $"{file}: only {commands.Count} sharplm commands found; is the extraction broken?");
        var failures = commands.Select(c => (c, Problem(c))).Where(x => x.Item2 is not null)
            .Select(x => $"{file}: sharplm {string.Join(' ', x.c)}: {x.Item2}").ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void A_stale_option_or_verb_is_caught()
    {
        var commands = FromMarkdown("""
            $ sharplm inspect next --model runs/base "I like" --no-such-option 3
            $ printf 'hi\n' | sharplm chatt --model runs/sft
            and in prose `sharplm inspect tokens --model m hello`
            """);
        Assert.Equal(3, commands.Count);
        Assert.NotNull(Problem(commands[0]));
        Assert.NotNull(Problem(commands[1]));
        Assert.Null(Problem(commands[2]));
        Assert.Equal(["inspect", "next", "--model", "runs/base", "I like", "--no-such-option", "3"], commands[0]);
    }

    [Fact]
    public void Script_variables_are_expanded_and_unknown_ones_fail()
    {
        var commands = FromScript("""
            # a comment: sharplm ignored --here
            show x sharplm inspect next --model "$SR/base" "The capital" \
                --top 4 "${T[@]}" --out "$OUT/next.png"
            if [[ ! -f "$SR/report.json" ]]; then sharplm speedrun --out "$SR"; fi
            show y sharplm inspect tokens --model "$NOT_KNOWN/base" x
            """);
        Assert.Equal(3, commands.Count);
        Assert.Equal(["inspect", "next", "--model", "runs/speedrun/base", "The capital", "--top", "4", "--threads", "1",
            "--out", "docs/walkthrough/next.png"], commands[0]);
        Assert.Equal(["speedrun", "--out", "runs/speedrun"], commands[1]);
        Assert.Contains("unexpanded variable", Problem(commands[2])!);
    }

    /// <summary>Why the command would not parse, or null when it parses to a verb that runs.</summary>
    static string? Problem(string[] args)
    {
        if (args.FirstOrDefault(a => a.Contains('$')) is { } variable) return $"unexpanded variable in '{variable}'";
        var parse = SharpLM.Cli.Program.Root().Parse(args);
        if (parse.Errors.Count > 0) return string.Join("; ", parse.Errors.Select(e => e.Message));
        return parse.CommandResult.Command.Action is null ? "names a group of verbs, not a verb" : null;
    }

    /// <summary>Commands in code blocks ("$ sharplm …", also after a pipe) and inline code spans that start with sharplm.</summary>
    static List<string[]> FromMarkdown(string text)
    {
        var commands = new List<string[]>();
        foreach (var line in text.Split('\n'))
        {
            var shown = Regex.Match(line, @"^\$ (?:.*?\| )?sharplm (.*)$");
            if (shown.Success) commands.Add(Words(shown.Groups[1].Value));
            else
                foreach (Match inline in Regex.Matches(line, @"`sharplm ([^`]+)`"))
                    commands.Add(Words(inline.Groups[1].Value));
        }
        return commands;
    }

    /// <summary>The script's sharplm calls, with its folder variables set as the walkthrough shows them (for the fact chapter 8
    /// picks from the speedrun, as an example one).</summary>
    static List<string[]> FromScript(string text)
    {
        var joined = Regex.Replace(text, @"\\\r?\n\s*", " ");
        var commands = new List<string[]>();
        foreach (var raw in joined.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Contains("printf", StringComparison.Ordinal)) continue;
            var call = Regex.Match(line, @"(?:^|\s)sharplm ([a-z].*)$");
            if (!call.Success) continue;
            var expanded = call.Groups[1].Value
                .Replace("\"${T[@]}\"", "--threads 1")
                .Replace("$APPLE", "runs/walkthrough/apple").Replace("$WORK", "runs/walkthrough")
                .Replace("$COMPLETION", "湖北的省会城市是")
                .Replace("$SR", "runs/speedrun").Replace("$OUT", "docs/walkthrough").Replace("$stage", "sft");
            commands.Add(Words(expanded));
        }
        return commands;
    }

    /// <summary>Splits a shell command line into words (quotes and backslashes as bash reads them), up to a | ; & &lt; or &gt;.</summary>
    static string[] Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\'')
            {
                int end = line.IndexOf('\'', i + 1);
                if (end < 0) end = line.Length;
                word.Append(line, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (c == '"')
            {
                for (i++; i < line.Length && line[i] != '"'; i++)
                {
                    if (line[i] == '\\' && i + 1 < line.Length && "\"\\$`".Contains(line[i + 1])) i++;
                    word.Append(line[i]);
                }
                inWord = true;
            }
            else if (c == '\\' && i + 1 < line.Length) { word.Append(line[++i]); inWord = true; }
            else if (char.IsWhiteSpace(c) || "|;&<>".Contains(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                if (!char.IsWhiteSpace(c)) return [.. words];
            }
            else { word.Append(c); inWord = true; }
        }
        if (inWord) words.Add(word.ToString());
        return [.. words];
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SharpLM.sln"))) return dir.FullName;
        throw new InvalidOperationException("no SharpLM.sln above " + AppContext.BaseDirectory);
    }
}

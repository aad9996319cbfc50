using System.Text;
using System.Text.RegularExpressions;

namespace SharpLM.Interop.Tests;

/// <summary>
/// Just enough Jinja to render chat templates independently of the code that wrote them: text, {{ expression }},
/// {% for x in list %}, {% if %}/{% elif %}/{% else %}, expressions of names, ['key'] subscripts, string literals, ==,
/// + on strings, and raise_exception(…). Whitespace-control dashes are honoured by trimming next to the tag.
/// </summary>
public static partial class MiniJinja
{
    [GeneratedRegex(@"(\{\{-?|\{%-?)(.*?)(-?\}\}|-?%\})", RegexOptions.Singleline)]
    private static partial Regex Tag();

    abstract record Node;
    sealed record Text(string Value) : Node;
    sealed record Output(string Expression) : Node;
    sealed record For(string Variable, string List, List<Node> Body) : Node;
    sealed record If(List<(string? Condition, List<Node> Body)> Branches) : Node;

    public static string Render(string template, IReadOnlyDictionary<string, object?> variables)
    {
        var tokens = Tokenize(template);
        int at = 0;
        var nodes = Parse(tokens, ref at, []);
        var sb = new StringBuilder();
        Run(nodes, new Dictionary<string, object?>(variables), sb);
        return sb.ToString();
    }

    static List<(bool IsTag, bool IsBlock, string Body)> Tokenize(string template)
    {
        var list = new List<(bool, bool, string)>();
        int last = 0;
        bool trimNext = false; // the previous tag ended with '-'
        foreach (Match m in Tag().Matches(template))
        {
            var text = template[last..m.Index];
            if (trimNext) text = text.TrimStart();
            if (m.Groups[1].Value.EndsWith('-')) text = text.TrimEnd();
            if (text.Length > 0) list.Add((false, false, text));
            list.Add((true, m.Groups[1].Value.StartsWith("{%"), m.Groups[2].Value.Trim()));
            trimNext = m.Groups[3].Value.StartsWith('-');
            last = m.Index + m.Length;
        }
        var tail = trimNext ? template[last..].TrimStart() : template[last..];
        if (tail.Length > 0) list.Add((false, false, tail));
        return list;
    }

    static List<Node> Parse(List<(bool IsTag, bool IsBlock, string Body)> tokens, ref int at, string[] stops)
    {
        var nodes = new List<Node>();
        while (at < tokens.Count)
        {
            var (isTag, isBlock, body) = tokens[at];
            if (!isTag) { nodes.Add(new Text(body)); at++; continue; }
            if (!isBlock) { nodes.Add(new Output(body)); at++; continue; }
            var keyword = body.Split(' ', 2)[0];
            if (stops.Contains(keyword)) return nodes;
            at++;
            if (keyword == "for")
            {
                var m = Regex.Match(body, @"^for (\w+) in (\w+)$");
                if (!m.Success) throw new FormatException($"unsupported for: {body}");
                var loop = Parse(tokens, ref at, ["endfor"]);
                at++;
                nodes.Add(new For(m.Groups[1].Value, m.Groups[2].Value, loop));
            }
            else if (keyword == "if")
            {
                var branches = new List<(string?, List<Node>)>();
                string? condition = body[3..];
                while (true)
                {
                    var branch = Parse(tokens, ref at, ["elif", "else", "endif"]);
                    branches.Add((condition, branch));
                    var end = tokens[at++].Body;
                    if (end == "endif") break;
                    condition = end == "else" ? null : end[5..];
                }
                nodes.Add(new If(branches));
            }
            else throw new FormatException($"unsupported tag: {body}");
        }
        if (stops.Length > 0) throw new FormatException($"missing {string.Join(" or ", stops)}");
        return nodes;
    }

    static void Run(List<Node> nodes, Dictionary<string, object?> scope, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case Text t: sb.Append(t.Value); break;
                case Output o: sb.Append(Evaluate(o.Expression, scope)); break;
                case For f:
                    foreach (var item in (IEnumerable<object?>)Evaluate(f.List, scope)!)
                    {
                        scope[f.Variable] = item;
                        Run(f.Body, scope, sb);
                    }
                    break;
                case If i:
                    foreach (var (condition, body) in i.Branches)
                        if (condition is null || Truthy(Evaluate(condition, scope)))
                        {
                            Run(body, scope, sb);
                            break;
                        }
                    break;
            }
        }
    }

    static bool Truthy(object? value) => value switch { null => false, bool b => b, string s => s.Length > 0, _ => true };

    static object? Evaluate(string expression, Dictionary<string, object?> scope)
    {
        expression = expression.Trim();
        var call = Regex.Match(expression, @"^raise_exception\((.*)\)$");
        if (call.Success) throw new InvalidOperationException($"template raised: {Evaluate(call.Groups[1].Value, scope)}");
        int eq = TopLevel(expression, "==");
        if (eq >= 0) return Equals(Evaluate(expression[..eq], scope), Evaluate(expression[(eq + 2)..], scope));
        int plus = TopLevel(expression, "+");
        if (plus >= 0) return $"{Evaluate(expression[..plus], scope)}{Evaluate(expression[(plus + 1)..], scope)}";
        if (expression.StartsWith('\'') && expression.EndsWith('\'')) return expression[1..^1];
        var m = Regex.Match(expression, @"^(\w+)((?:\['\w+'\])*)$");
        if (!m.Success) throw new FormatException($"unsupported expression: {expression}");
        scope.TryGetValue(m.Groups[1].Value, out var value);
        foreach (Match key in Regex.Matches(m.Groups[2].Value, @"\['(\w+)'\]"))
            value = ((IReadOnlyDictionary<string, string>)value!)[key.Groups[1].Value];
        return value;
    }

    /// <summary>Index of <paramref name="op"/> outside quotes and brackets, or -1.</summary>
    static int TopLevel(string s, string op)
    {
        bool quoted = false;
        int depth = 0;
        for (int i = 0; i + op.Length <= s.Length; i++)
        {
            char c = s[i];
            if (c == '\'') quoted = !quoted;
            else if (!quoted && c is '[' or '(') depth++;
            else if (!quoted && c is ']' or ')') depth--;
            else if (!quoted && depth == 0 && string.CompareOrdinal(s, i, op, 0, op.Length) == 0) return i;
        }
        return -1;
    }
}

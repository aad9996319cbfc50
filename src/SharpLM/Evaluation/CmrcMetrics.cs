using System.Text;

namespace SharpLM.Evaluation;

/// <summary>
/// Exact match and F1 as the official CMRC 2018 evaluation script computes them. Text is lower-cased; each CJK character is
/// one segment and other text splits into words (the script uses NLTK's word tokenizer; here words end at whitespace and
/// at punctuation, which becomes its own segment); the script's punctuation list is removed. F1 compares the prediction's
/// segments with each reference answer's through their longest common contiguous run (as the script does) and keeps the
/// best answer; exact match compares the punctuation-free strings.
/// </summary>
public static class CmrcMetrics
{
    /// <summary>The official script's punctuation list (full-width Chinese marks and a few ASCII symbols).</summary>
    static readonly HashSet<string> Punctuation =
    [
        "-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=", "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》",
        "……", "·", "、", "「", "」", "（", "）", "－", "～", "『", "』",
    ];

    /// <summary>1 when the prediction equals any answer after punctuation removal, else 0.</summary>
    public static double ExactMatch(string prediction, IReadOnlyList<string> answers)
    {
        var p = RemovePunctuation(prediction);
        return answers.Any(a => RemovePunctuation(a) == p) ? 1 : 0;
    }

    /// <summary>The best F1 (0..1) of the prediction's segments against any answer's.</summary>
    public static double F1(string prediction, IReadOnlyList<string> answers)
    {
        var predicted = Segments(prediction);
        double best = 0;
        foreach (var answer in answers)
        {
            var reference = Segments(answer);
            int common = LongestCommonRun(reference, predicted);
            if (common == 0) continue;
            double precision = (double)common / predicted.Count, recall = (double)common / reference.Count;
            best = Math.Max(best, 2 * precision * recall / (precision + recall));
        }
        return best;
    }

    /// <summary>Lower-cased, trimmed, without the listed punctuation (other whitespace inside stays, as in the script).</summary>
    public static string RemovePunctuation(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text.Trim().ToLowerInvariant())
            if (!Punctuation.Contains(c.ToString())) sb.Append(c);
        return sb.ToString();
    }

    /// <summary>Segments without punctuation: CJK characters one by one, other text as words and symbols.</summary>
    public static List<string> Segments(string text)
    {
        var segments = new List<string>();
        var word = new StringBuilder();
        void Flush()
        {
            if (word.Length > 0) segments.Add(word.ToString());
            word.Clear();
        }
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            var s = c.ToString();
            if (c is >= '\u4e00' and <= '\u9fa5' || Punctuation.Contains(s) || char.IsPunctuation(c) || char.IsSymbol(c))
            {
                Flush();
                segments.Add(s);
            }
            else if (char.IsWhiteSpace(c)) Flush();
            else word.Append(c);
        }
        Flush();
        return segments.Where(s => !Punctuation.Contains(s)).ToList();
    }

    /// <summary>Length of the longest run of segments that occurs contiguously in both lists.</summary>
    static int LongestCommonRun(List<string> a, List<string> b)
    {
        var row = new int[b.Count + 1];
        int best = 0;
        for (int i = 0; i < a.Count; i++)
        {
            for (int j = b.Count - 1; j >= 0; j--)
            {
                row[j + 1] = a[i] == b[j] ? row[j] + 1 : 0;
                best = Math.Max(best, row[j + 1]);
            }
        }
        return best;
    }
}

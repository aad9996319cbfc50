namespace SharpLM.Core;

/// <summary>A problem with the user's input (file, line, field), as opposed to a bug. The CLI prints the message and exits 1.</summary>
public class SharpLmException : Exception
{
    public SharpLmException(string message) : base(message) { }
    public SharpLmException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Throws "option message" (e.g. "--lr must be positive (got 0)") unless <paramref name="ok"/>.</summary>
    public static void Require(bool ok, string option, string message)
    {
        if (!ok) throw new SharpLmException($"{option} {message}");
    }

    /// <summary>Throws unless <paramref name="value"/> is a finite number above 0 (NaN and ∞ are refused too).</summary>
    public static double Positive(double value, string option)
    {
        Require(double.IsFinite(value) && value > 0, option, $"must be a positive number (got {Show(value)})");
        return value;
    }

    /// <summary>Throws unless <paramref name="value"/> is a finite number ≥ 0.</summary>
    public static double NonNegative(double value, string option)
    {
        Require(double.IsFinite(value) && value >= 0, option, $"must be 0 or a positive number (got {Show(value)})");
        return value;
    }

    /// <summary>Throws unless <paramref name="low"/> ≤ <paramref name="value"/> &lt; <paramref name="high"/> (NaN refused).</summary>
    public static double InRange(double value, string option, double low, double high)
    {
        Require(value >= low && value < high, option, $"must be in [{Show(low)}, {Show(high)}) (got {Show(value)})");
        return value;
    }

    static string Show(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Builds "file:line: field: message" with the parts that are known.</summary>
    public static SharpLmException At(string? file, long? line, string? field, string message)
    {
        var where = string.Join(": ", new[] { file is null ? null : line is null ? file : $"{file}:{line}", field }
            .Where(s => !string.IsNullOrEmpty(s)));
        return new SharpLmException(where.Length == 0 ? message : $"{where}: {message}");
    }
}

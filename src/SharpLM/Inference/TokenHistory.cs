namespace SharpLM.Inference;

/// <summary>What the repetition and frequency penalties look at for one row: ids in its context, and generated-id counts.</summary>
public sealed class TokenHistory
{
    readonly HashSet<int> _seen;
    readonly Dictionary<int, int> _generated = [];

    public TokenHistory(IEnumerable<int> prompt) => _seen = [.. prompt];

    /// <summary>Every id in the prompt or generated so far.</summary>
    public IReadOnlySet<int> Seen => _seen;

    /// <summary>Generated id → how many times.</summary>
    public IReadOnlyDictionary<int, int> Generated => _generated;

    public void Add(int id)
    {
        _seen.Add(id);
        _generated[id] = _generated.GetValueOrDefault(id) + 1;
    }
}

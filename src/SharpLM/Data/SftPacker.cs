using SharpLM.Tokenization;

namespace SharpLM.Data;

/// <summary>
/// One training row of <c>L</c> ids: whole conversations laid end to end, then padding. <see cref="Mask"/> is 1 where the
/// id is a trained target; <see cref="Segment"/> numbers the conversations so attention stays inside each one (padding is
/// its own segment, so no position is left with nothing to attend to).
/// </summary>
public sealed record PackedRow(int[] Ids, byte[] Mask, int[] Segment);

/// <summary>
/// Packs rendered conversations into rows, first come first served: a conversation goes into the current row if it fits,
/// else it starts a new one (conversations are never split, so with the per-segment attention mask packing trains exactly
/// what one-conversation-per-row padding would, with fewer pad tokens).
/// </summary>
public static class SftPacker
{
    /// <param name="rowTokens">Ids per row: context length + 1 (inputs are ids[..^1], targets ids[1..]).</param>
    /// <param name="padId">Id placed in padding (never trained, never attended to by real tokens).</param>
    public static List<PackedRow> Pack(IEnumerable<RenderedConversation> conversations, int rowTokens, int padId)
    {
        var rows = new List<PackedRow>();
        var ids = new List<int>(rowTokens);
        var mask = new List<byte>(rowTokens);
        var segment = new List<int>(rowTokens);
        void Flush()
        {
            if (ids.Count == 0) return;
            int pad = segment.Count == 0 ? 0 : segment[^1] + 1;
            while (ids.Count < rowTokens) { ids.Add(padId); mask.Add(0); segment.Add(pad); }
            rows.Add(new PackedRow([.. ids], [.. mask], [.. segment]));
            ids.Clear(); mask.Clear(); segment.Clear();
        }
        foreach (var c in conversations)
        {
            if (c.Ids.Length > rowTokens)
                throw new ArgumentException($"conversation of {c.Ids.Length} ids exceeds the row of {rowTokens}; fit it first (ContextFit)");
            if (ids.Count + c.Ids.Length > rowTokens) Flush();
            int s = segment.Count == 0 ? 0 : segment[^1] + 1;
            ids.AddRange(c.Ids);
            mask.AddRange(c.Mask);
            segment.AddRange(Enumerable.Repeat(s, c.Ids.Length));
        }
        Flush();
        return rows;
    }

    /// <summary>A row of plain text (replayed pretraining data): every next token is trained, one segment.</summary>
    public static PackedRow PlainText(int[] ids) =>
        new(ids, Enumerable.Repeat((byte)1, ids.Length).ToArray(), new int[ids.Length]);
}

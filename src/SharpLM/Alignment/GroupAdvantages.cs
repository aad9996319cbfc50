namespace SharpLM.Alignment;

/// <summary>GRPO's advantage (Shao et al. 2024): each reward compared with the other answers to the same prompt.</summary>
public static class GroupAdvantages
{
    /// <summary>
    /// Rewards laid out group after group (<paramref name="groupSize"/> answers per prompt) → (r − mean) / (std + eps) within
    /// each group, std the sample standard deviation. A group whose answers all scored the same gets 0: nothing to learn.
    /// </summary>
    public static float[] Normalize(ReadOnlySpan<float> rewards, int groupSize, double eps = 1e-4)
    {
        if (groupSize < 2) throw new ArgumentOutOfRangeException(nameof(groupSize), "a group needs at least 2 answers");
        if (rewards.Length % groupSize != 0) throw new ArgumentException($"{rewards.Length} rewards do not split into groups of {groupSize}");
        var result = new float[rewards.Length];
        for (int g = 0; g < rewards.Length; g += groupSize)
        {
            var group = rewards.Slice(g, groupSize);
            double mean = 0, sq = 0;
            foreach (var r in group) mean += r;
            mean /= groupSize;
            foreach (var r in group) sq += (r - mean) * (r - mean);
            double std = Math.Sqrt(sq / (groupSize - 1));
            for (int i = 0; i < groupSize; i++) result[g + i] = (float)((group[i] - mean) / (std + eps));
        }
        return result;
    }
}

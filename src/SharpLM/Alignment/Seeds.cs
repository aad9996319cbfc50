using SharpLM.Data;

namespace SharpLM.Alignment;

/// <summary>
/// Seeds derived from (run seed, step, …) with SplitMix64. Unlike <see cref="HashCode.Combine{T1,T2}"/>, which is randomised
/// per process, the same inputs give the same seed in every process, so a resumed run draws what the uninterrupted one would.
/// </summary>
public static class Seeds
{
    public static int Derive(long seed, long step, long part = 0) =>
        (int)(BatchSampler.Mix(BatchSampler.Mix(BatchSampler.Mix((ulong)seed) ^ (ulong)step) ^ (ulong)part) >> 33);
}

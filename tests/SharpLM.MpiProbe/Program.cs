using System.Text;
using SharpLM.Core;
using SharpLM.Distributed;

// Each collective of World on known values, run by the tests under `mpirun -np N` (DataParallelTests). Prints
// "rank R ok" when every check passed on this rank, else the first failure, and exits 1.
using var world = World.Start(requireLauncher: true);
int n = world.Size, r = world.Rank;
try
{
    // fp32 sum and average: small multiples of halves are exact in any order of addition.
    var f = Enumerable.Range(0, 1000).Select(i => (r + 1) * (i + 0.5f)).ToArray();
    world.AllReduce(f);
    Check(f.Select((x, i) => x == n * (n + 1) / 2 * (i + 0.5f)).All(b => b), "fp32 sum");
    var g = Enumerable.Repeat((float)r, 7).ToArray();
    world.AllReduce(g, average: true);
    Check(g.All(x => x == (n - 1) / 2f), "fp32 average");

    // bf16 (raw bits): 1.5 · (r + 1) summed is 1.5 · n(n+1)/2, exact in bf16 for small n.
    var h = Enumerable.Repeat(Bf16(1.5f * (r + 1)), 5000).ToArray();
    world.AllReduce(h.AsSpan());
    Check(h.All(x => x == Bf16(1.5f * n * (n + 1) / 2)), "bf16 sum");

    // Broadcast from the last rank, all-gather of scalars and of bytes of different lengths, any.
    var b = new byte[3];
    if (r == n - 1) b = [7, 8, 9];
    world.Broadcast(b, root: n - 1);
    Check(b.SequenceEqual(new byte[] { 7, 8, 9 }), "broadcast");
    Check(world.AllGather(10.0 * r).SequenceEqual(Enumerable.Range(0, n).Select(k => 10.0 * k)), "all-gather of scalars");
    var parts = world.AllGather(Encoding.UTF8.GetBytes(new string('x', r) + "雨"));
    Check(parts.Select(Encoding.UTF8.GetString).SequenceEqual(Enumerable.Range(0, n).Select(k => new string('x', k) + "雨")),
        "all-gather of bytes");
    Check(world.Any(r == n - 1) && !world.Any(false), "any");

    // Agreement: the same text passes; a rank with other text stops every rank with the same message.
    world.Agree("options", "same");
    try
    {
        world.Agree("options", r == 1 ? "other" : "same");
        Check(false, "agree did not refuse");
    }
    catch (SharpLmException e)
    {
        Console.WriteLine($"rank {r}: {e.Message}");
    }
    Console.WriteLine($"rank {r} ok");
    return 0;
}
catch (InvalidDataException e)
{
    Console.WriteLine($"rank {r} failed: {e.Message}");
    return 1;
}

static void Check(bool ok, string what)
{
    if (!ok) throw new InvalidDataException(what);
}

static ushort Bf16(float x) => (ushort)(BitConverter.SingleToInt32Bits(x) >> 16); // exact for these values

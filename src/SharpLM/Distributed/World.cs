using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SharpLM.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Distributed;

/// <summary>
/// The processes of one training job and the collectives data parallelism needs: all-reduce of fp32 and bf16 buffers,
/// broadcast, barrier, all-gather of scalars, and a start-up check that every rank runs the same thing. Over MPI when a
/// launcher started the process (<see cref="Launch"/>); otherwise a single process, for which every collective is the
/// identity and libmpi is never loaded. Collectives must be called by every rank in the same order, from one thread.
/// </summary>
public sealed unsafe class World : IDisposable
{
    /// <summary>The single process of a run without a launcher.</summary>
    public static readonly World Single = new(Launch.Single, null);

    readonly MpiLibrary? _mpi;
    IntPtr _bf16Sum;
    bool _closed;

    World(Launch launch, MpiLibrary? mpi)
    {
        Launch = launch;
        _mpi = mpi;
    }

    public Launch Launch { get; }
    public int Rank => Launch.Rank;
    public int Size => Launch.Size;
    public int LocalRank => Launch.LocalRank;
    /// <summary>Rank 0: the one that writes files and prints.</summary>
    public bool IsMain => Rank == 0;
    public bool IsDistributed => Size > 1;

    /// <summary>
    /// Joins the job the launcher started (MPI_Init), or returns <see cref="Single"/> when no launcher did.
    /// <paramref name="requireLauncher"/> (<c>--distributed</c>) makes a missing launcher an error instead of training alone.
    /// </summary>
    public static World Start(bool requireLauncher = false)
    {
        var launch = Launch.FromEnvironment();
        if (!launch.IsLaunched)
        {
            if (requireLauncher)
                throw new SharpLmException(
                    "--distributed: no MPI launcher started this process (no OMPI_COMM_WORLD_*, PMI_* or PMIX_* variables); " +
                    "run it as 'mpirun -np N sharplm …' or 'srun --mpi=pmix sharplm …' (see docs/distributed.md)");
            return Single;
        }
        var mpi = MpiLibrary.Load();
        var (rank, size) = mpi.InitThread();
        if (rank != launch.Rank || size != launch.Size)
        {
            mpi.Abort(1);
            throw new SharpLmException($"inconsistent launch: the {launch.Launcher} environment says rank {launch.Rank} of " +
                                       $"{launch.Size} but MPI says rank {rank} of {size}");
        }
        return new World(launch, mpi);
    }

    /// <summary>libtorch threads for this rank: the request, or (0) this host's cores shared among its ranks.</summary>
    public int Threads(int requested) =>
        requested > 0 ? requested : Math.Max(1, Environment.ProcessorCount / Math.Max(1, Launch.LocalSize));

    /// <summary>This rank's share [First, First + Count) of <paramref name="total"/> equal items; uneven splits are refused.</summary>
    public (int First, int Count) Share(int total, string what)
    {
        if (total % Size != 0)
            throw new SharpLmException($"{what}: {total} does not divide evenly over {Size} ranks");
        int count = total / Size;
        return (Rank * count, count);
    }

    public void Barrier() => _mpi?.Barrier();

    /// <summary>Sums <paramref name="data"/> over all ranks in place (then divides by the rank count when <paramref name="average"/>).</summary>
    public void AllReduce(Span<float> data, bool average = false)
    {
        if (_mpi is null) return;
        fixed (float* p = data)
            for (int done = 0; done < data.Length;)
            {
                int n = Math.Min(data.Length - done, 1 << 28);
                _mpi.AllReduceInPlace(p + done, n, _mpi.Float, _mpi.OpSum);
                done += n;
            }
        if (average)
            foreach (ref float x in data) x /= Size;
    }

    /// <summary>
    /// Sums bf16 values (raw bits) over all ranks in place, each partial sum rounded to bf16 — half the bytes of fp32 on
    /// the wire, at bf16's precision.
    /// </summary>
    public void AllReduce(Span<ushort> bf16, bool average = false)
    {
        if (_mpi is null) return;
        if (_bf16Sum == IntPtr.Zero) _bf16Sum = _mpi.CreateOp(&Bf16Sum);
        fixed (ushort* p = bf16)
            for (int done = 0; done < bf16.Length;)
            {
                int n = Math.Min(bf16.Length - done, 1 << 28);
                _mpi.AllReduceInPlace(p + done, n, _mpi.UInt16, _bf16Sum);
                done += n;
            }
        if (average)
            foreach (ref ushort x in bf16) x = Bf16.FromFloat(Bf16.ToFloat(x) / Size);
    }

    /// <summary>All-reduces a contiguous fp32 or bf16 tensor in place (a non-CPU tensor goes through a host copy).</summary>
    public void AllReduce(Tensor t, bool average = false)
    {
        if (_mpi is null) return;
        OnHost(t, host =>
        {
            var bytes = Bytes(host);
            switch (host.dtype)
            {
                case ScalarType.Float32: AllReduce(MemoryMarshal.Cast<byte, float>(bytes), average); break;
                case ScalarType.BFloat16: AllReduce(MemoryMarshal.Cast<byte, ushort>(bytes), average); break;
                default: throw new ArgumentException($"all-reduce supports float32 and bfloat16 tensors, not {host.dtype}");
            }
        });
    }

    /// <summary>Copies rank <paramref name="root"/>'s bytes into <paramref name="data"/> on every rank.</summary>
    public void Broadcast(Span<byte> data, int root = 0)
    {
        if (_mpi is null) return;
        fixed (byte* p = data)
            for (int done = 0; done < data.Length;)
            {
                int n = Math.Min(data.Length - done, 1 << 30);
                _mpi.Broadcast(p + done, n, _mpi.Byte, root);
                done += n;
            }
    }

    /// <summary>Copies rank <paramref name="root"/>'s values of a contiguous tensor into it on every rank.</summary>
    public void Broadcast(Tensor t, int root = 0)
    {
        if (_mpi is null) return;
        OnHost(t, host => Broadcast(Bytes(host), root));
    }

    /// <summary>Gives every rank rank 0's parameters and buffers (identical initial weights, whatever each rank's RNG did).</summary>
    public void Broadcast(nn.Module module)
    {
        if (_mpi is null) return;
        using var _ = no_grad();
        foreach (var p in module.parameters()) Broadcast(p);
        foreach (var b in module.buffers()) Broadcast(b);
    }

    /// <summary>Every rank's <paramref name="value"/>, indexed by rank.</summary>
    public double[] AllGather(double value)
    {
        var all = new double[Size];
        if (_mpi is null) { all[0] = value; return all; }
        fixed (double* p = all) _mpi.AllGather(&value, p, 1, _mpi.Double);
        return all;
    }

    /// <summary>Every rank's bytes (of any length), indexed by rank.</summary>
    public byte[][] AllGather(byte[] mine)
    {
        if (_mpi is null) return [mine];
        var lengths = AllGather((double)mine.Length);
        var all = new byte[Size][];
        for (int r = 0; r < Size; r++)
        {
            all[r] = r == Rank ? mine : new byte[(int)lengths[r]];
            Broadcast(all[r], root: r);
        }
        return all;
    }

    /// <summary>The sum of <paramref name="value"/> over ranks, added in rank order (the same on every rank).</summary>
    public double Sum(double value) => AllGather(value).Sum();

    /// <summary>True on every rank when it is true on any (e.g. one rank's clock ran out: all stop at the same step).</summary>
    public bool Any(bool value)
    {
        if (_mpi is null) return value;
        int flag = value ? 1 : 0;
        _mpi.AllReduceInPlace(&flag, 1, _mpi.Int, _mpi.OpMax);
        return flag != 0;
    }

    /// <summary>
    /// Refuses to go on unless every rank passed the same <paramref name="text"/> (options, a data fingerprint…): a job whose
    /// ranks were given different commands or data would otherwise train on silently. Every rank throws the same error.
    /// </summary>
    public void Agree(string what, string text)
    {
        if (_mpi is null) return;
        var mine = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var all = new byte[mine.Length * Size];
        fixed (byte* s = mine)
        fixed (byte* r = all)
            _mpi.AllGather(s, r, mine.Length, _mpi.Byte);
        var differ = Enumerable.Range(1, Size - 1)
            .Where(k => !all.AsSpan(k * mine.Length, mine.Length).SequenceEqual(all.AsSpan(0, mine.Length))).ToList();
        if (differ.Count > 0)
            throw new SharpLmException($"inconsistent launch: rank{(differ.Count > 1 ? "s" : "")} {string.Join(", ", differ)} " +
                                       $"got different {what} than rank 0; every rank must run the same command on the same data");
    }

    /// <summary>Ends every process of the job with <paramref name="code"/> (after an error on this rank, so none waits forever).</summary>
    public void Abort(int code)
    {
        if (_mpi is null) return;
        _closed = true;
        _mpi.Abort(code);
    }

    public void Dispose()
    {
        if (_mpi is null || _closed) return;
        _closed = true;
        _mpi.Shutdown();
    }

    /// <summary>
    /// Runs a collective on <paramref name="t"/>'s memory; a tensor on another device (CUDA) goes through a host copy,
    /// because the pointer handed to MPI must be host memory unless Open MPI is CUDA-aware (docs/distributed.md).
    /// </summary>
    static void OnHost(Tensor t, Action<Tensor> collective)
    {
        if (t.device_type == DeviceType.CPU)
        {
            collective(t);
            return;
        }
        using var host = t.cpu();
        collective(host);
        t.copy_(host);
    }

    static Span<byte> Bytes(Tensor t)
    {
        if (!t.is_contiguous()) throw new ArgumentException("collectives need a contiguous tensor");
        return t.bytes;
    }

    [UnmanagedCallersOnly]
    static void Bf16Sum(void* input, void* inout, int* length, IntPtr* type)
    {
        var a = (ushort*)input;
        var b = (ushort*)inout;
        for (int i = 0; i < *length; i++) b[i] = Bf16.FromFloat(Bf16.ToFloat(a[i]) + Bf16.ToFloat(b[i]));
    }

    /// <summary>bfloat16 bits ↔ float: the upper half of an fp32, rounded to nearest even.</summary>
    static class Bf16
    {
        public static float ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

        public static ushort FromFloat(float value)
        {
            uint bits = (uint)BitConverter.SingleToInt32Bits(value);
            if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
            return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
        }
    }
}

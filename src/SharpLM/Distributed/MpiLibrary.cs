using System.Runtime.InteropServices;
using SharpLM.Core;

namespace SharpLM.Distributed;

/// <summary>
/// The few MPI calls data parallelism needs, bound at run time to Open MPI's <c>libmpi.so.40</c> (Debian: openmpi-bin,
/// libopenmpi-dev). TorchSharp has no torch.distributed, and the one MPI package on NuGet targets MS-MPI, whose handles are
/// integers; Open MPI's are pointers to exported globals (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>…), read here
/// with <see cref="NativeLibrary.GetExport"/>. Loaded only by <see cref="World.Start"/> under a launcher, so a single
/// process never touches libmpi.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    const string LibraryName = "libmpi.so.40";
    const int RtldNow = 0x2, RtldGlobal = 0x100;
    const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED: calls come from one thread at a time

    public readonly IntPtr CommWorld, Byte, Int, UInt16, Float, Double, OpSum, OpMax;

    readonly delegate* unmanaged<int*, IntPtr, int, int*, int> _initThread;
    readonly delegate* unmanaged<int*, int> _initialized;
    readonly delegate* unmanaged<int*, int> _finalized;
    readonly delegate* unmanaged<int> _finalize;
    readonly delegate* unmanaged<IntPtr, int, int> _abort;
    readonly delegate* unmanaged<IntPtr, int*, int> _commRank;
    readonly delegate* unmanaged<IntPtr, int*, int> _commSize;
    readonly delegate* unmanaged<IntPtr, int> _barrier;
    readonly delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> _allreduce;
    readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> _bcast;
    readonly delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, IntPtr, int> _allgather;
    readonly delegate* unmanaged<delegate* unmanaged<void*, void*, int*, IntPtr*, void>, int, IntPtr*, int> _opCreate;

    /// <summary>MPI_IN_PLACE in Open MPI: the address 1.</summary>
    public static readonly void* InPlace = (void*)1;

    MpiLibrary(IntPtr lib)
    {
        IntPtr Handle(string name) => NativeLibrary.GetExport(lib, name); // the address of the predefined object is the handle
        CommWorld = Handle("ompi_mpi_comm_world");
        Byte = Handle("ompi_mpi_byte");
        Int = Handle("ompi_mpi_int");
        UInt16 = Handle("ompi_mpi_uint16_t");
        Float = Handle("ompi_mpi_float");
        Double = Handle("ompi_mpi_double");
        OpSum = Handle("ompi_mpi_op_sum");
        OpMax = Handle("ompi_mpi_op_max");
        _initThread = (delegate* unmanaged<int*, IntPtr, int, int*, int>)Handle("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Handle("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Handle("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)Handle("MPI_Finalize");
        _abort = (delegate* unmanaged<IntPtr, int, int>)Handle("MPI_Abort");
        _commRank = (delegate* unmanaged<IntPtr, int*, int>)Handle("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<IntPtr, int*, int>)Handle("MPI_Comm_size");
        _barrier = (delegate* unmanaged<IntPtr, int>)Handle("MPI_Barrier");
        _allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Handle("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Handle("MPI_Bcast");
        _allgather = (delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, IntPtr, int>)Handle("MPI_Allgather");
        _opCreate = (delegate* unmanaged<delegate* unmanaged<void*, void*, int*, IntPtr*, void>, int, IntPtr*, int>)
            Handle("MPI_Op_create");
    }

    /// <summary>Loads libmpi (with RTLD_GLOBAL, so Open MPI's plugins find its symbols) or says how to install it.</summary>
    public static MpiLibrary Load()
    {
        // Open MPI catches SIGSEGV/SIGBUS to print its own backtraces; .NET needs them for null references.
        if (Environment.GetEnvironmentVariable("OMPI_MCA_opal_signal") is null) SetEnv("OMPI_MCA_opal_signal", "", 0);
        IntPtr global = DlOpen(LibraryName, RtldNow | RtldGlobal);
        if (global == IntPtr.Zero || !NativeLibrary.TryLoad(LibraryName, out var lib))
            throw new SharpLmException(
                $"{LibraryName} (Open MPI) could not be loaded: install it (Debian/Ubuntu: apt-get install openmpi-bin " +
                "libopenmpi-dev) on every host; MPICH and other MPI libraries are not supported");
        try { return new MpiLibrary(lib); }
        catch (EntryPointNotFoundException e)
        {
            throw new SharpLmException($"{LibraryName} is not Open MPI 4 or later ({e.Message}); only Open MPI is supported", e);
        }
    }

    public (int Rank, int Size) InitThread()
    {
        int already;
        Check(_initialized(&already), "MPI_Initialized");
        if (already == 0)
        {
            int provided;
            Check(_initThread(null, IntPtr.Zero, ThreadSerialized, &provided), "MPI_Init_thread");
        }
        int rank, size;
        Check(_commRank(CommWorld, &rank), "MPI_Comm_rank");
        Check(_commSize(CommWorld, &size), "MPI_Comm_size");
        return (rank, size);
    }

    public void Shutdown()
    {
        int done;
        Check(_finalized(&done), "MPI_Finalized");
        if (done == 0) Check(_finalize(), "MPI_Finalize");
    }

    public void Abort(int code) => _abort(CommWorld, code);

    public void Barrier() => Check(_barrier(CommWorld), "MPI_Barrier");

    public void AllReduceInPlace(void* buffer, int count, IntPtr type, IntPtr op) =>
        Check(_allreduce(InPlace, buffer, count, type, op, CommWorld), "MPI_Allreduce");

    public void Broadcast(void* buffer, int count, IntPtr type, int root) =>
        Check(_bcast(buffer, count, type, root, CommWorld), "MPI_Bcast");

    public void AllGather(void* send, void* receive, int count, IntPtr type) =>
        Check(_allgather(send, count, type, receive, count, type, CommWorld), "MPI_Allgather");

    /// <summary>A commutative user reduction (MPI_Op_create), e.g. a bf16 sum, which MPI lacks.</summary>
    public IntPtr CreateOp(delegate* unmanaged<void*, void*, int*, IntPtr*, void> function)
    {
        IntPtr op;
        Check(_opCreate(function, 1, &op), "MPI_Op_create");
        return op;
    }

    static void Check(int code, string call)
    {
        // The default error handler aborts the job on communication errors, so a code here is a misuse, not a lost peer.
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}");
    }

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    static extern IntPtr DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    // Environment.SetEnvironmentVariable does not reach the native environment that Open MPI reads.
    [DllImport("libc.so.6", EntryPoint = "setenv")]
    static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value,
        int overwrite);
}

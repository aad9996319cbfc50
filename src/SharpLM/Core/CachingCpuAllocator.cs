using System.Runtime.InteropServices;

namespace SharpLM.Core;

/// <summary>
/// A caching CPU allocator for libtorch: blocks of at least <see cref="MinBytes"/> that a step frees are kept by size and
/// handed back to the next request of that size, so a training step that allocates the same activations every step reuses
/// the same pages instead of leaving glibc's heap to fragment (issue 18: ~290 MB of a ~1,000 MB peak RSS was free memory
/// malloc kept between its blocks).
/// </summary>
/// <remarks>
/// libtorch takes its CPU allocator from a registry (<c>c10::SetCPUAllocator</c>), which TorchSharp does not expose. This
/// class registers an object whose C++ virtual table points at the functions below. Nothing about the C++ side is assumed
/// unchecked: <see cref="Install"/> measures it first on the allocator in place — the virtual table's
/// <c>is_simple_data_ptr</c> slot must be libc10's own function, and a probe allocation must come back as a CPU
/// <c>DataPtr</c> whose context is its data pointer, which also tells which of the two remaining words is the deleter — and
/// refuses (returns false, changes nothing) when anything differs. Blocks are mapped with <c>mmap</c>, so evicting one
/// gives its pages back at once; smaller blocks go to malloc as before. Free blocks cached are bounded by a limit, and
/// <see cref="Uninstall"/> restores the previous allocator and unmaps every free block.
/// </remarks>
public static unsafe class CachingCpuAllocator
{
    /// <summary>Requests below this size go to malloc; at and above it, they are rounded up to a multiple of it.</summary>
    public const long MinBytes = 64 * 1024;

    // c10::Allocator's virtual functions in libc10's own table (checked in Install): the two destructors, allocate,
    // is_simple_data_ptr, raw_deleter, copy_data.
    const int Slots = 6, AllocateSlot = 2, IsSimpleSlot = 3, RawDeleterSlot = 4, CopyDataSlot = 5;
    const string IsSimpleSymbol = "_ZNK3c109Allocator18is_simple_data_ptrERKNS_7DataPtrE";

    static readonly object Gate = new();
    static readonly Dictionary<long, Stack<nint>> FreeBySize = [];
    static readonly Dictionary<nint, long> MappedSize = [];
    static nint _object, _previous;
    static int _contextWord, _deleterWord;
    static long _cachedBytes, _limitBytes, _hits, _misses;
    static bool _installed;

    static int _leases;

    /// <summary>
    /// Allocates libtorch's CPU tensors here until the returned lease is disposed (leases nest: the last one out restores
    /// the previous allocator). <paramref name="limitBytes"/> bounds the freed blocks kept; null: a quarter of the
    /// machine's memory. Where <see cref="Install"/> refuses, the lease is inactive and says why.
    /// </summary>
    public static Lease Acquire(long? limitBytes = null)
    {
        long limit = limitBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
        lock (Gate)
        {
            if (!Install(limit, out string why)) return new Lease(false, why);
            _leases++;
            return new Lease(true, "");
        }
    }

    /// <summary>A lease for training on <paramref name="device"/>: none (null) off the CPU.</summary>
    public static Lease? For(TorchSharp.torch.Device device) =>
        device.type == TorchSharp.DeviceType.CPU ? Acquire() : null;

    /// <summary>One user of the caching allocator; <see cref="Why"/> says why it is inactive when it is.</summary>
    public sealed class Lease : IDisposable
    {
        bool _held;

        internal Lease(bool active, string why) => (Active, Why, _held) = (active, why, active);

        public bool Active { get; }
        public string Why { get; }

        public override string ToString() => Active
            ? $"caching freed blocks of ≥ {MinBytes / 1024} KB for reuse (up to {_limitBytes / 1e6:N0} MB)"
            : $"libtorch's default ({Why})";

        public void Dispose()
        {
            lock (Gate)
            {
                if (!_held) return;
                _held = false;
                if (--_leases == 0) Uninstall();
            }
        }
    }

    /// <summary>Whether libtorch's CPU tensors are allocated here now.</summary>
    public static bool Installed => _installed;

    /// <summary>What the cache holds and did since <see cref="Install"/>.</summary>
    public static (long CachedBytes, long Hits, long Misses) Stats
    {
        get { lock (Gate) return (_cachedBytes, _hits, _misses); }
    }

    /// <summary>
    /// Makes libtorch allocate CPU tensors here, keeping at most <paramref name="limitBytes"/> of freed blocks for reuse.
    /// Returns false, with the reason in <paramref name="why"/>, where libtorch's allocator is not laid out as measured.
    /// </summary>
    static bool Install(long limitBytes, out string why)
    {
        lock (Gate)
        {
            _limitBytes = limitBytes;
            if (_installed) { why = "already installed"; return true; }
            if (!OperatingSystem.IsLinux()) { why = "not Linux"; return false; }
            using (var _ = TorchSharp.torch.zeros(1)) { }             // libtorch is loaded
            if (!NativeLibrary.TryLoad("libc10.so", out var c10)
                || !NativeLibrary.TryGetExport(c10, "_ZN3c1015GetCPUAllocatorEv", out var get)
                || !NativeLibrary.TryGetExport(c10, "_ZN3c1015SetCPUAllocatorEPNS_9AllocatorEh", out var set)
                || !NativeLibrary.TryGetExport(c10, IsSimpleSymbol, out var isSimple)
                || !NativeLibrary.TryGetExport(c10, "_ZTIN3c109AllocatorE", out var typeInfo))
            {
                why = "libc10.so or one of its allocator functions was not found";
                return false;
            }
            var current = ((delegate* unmanaged<nint>)get)();
            var table = *(nint**)current;
            if (table[IsSimpleSlot] != isSimple)
            {
                why = "libtorch's allocator table is not laid out as expected";
                return false;
            }
            if (!Probe(current, table[AllocateSlot], out why)) return false;

            if (_object == 0) _object = Build(typeInfo, isSimple);
            _previous = current;
            ((delegate* unmanaged<nint, byte, void>)set)(_object, 0);
            if (((delegate* unmanaged<nint>)get)() != _object)
            {
                why = "libtorch kept its allocator (registered with a higher priority)";
                return false;
            }
            _installed = true;
            _hits = _misses = 0;
            // malloc now serves only blocks under MinBytes: what it kept of earlier large blocks can go back, once.
            NativeAllocator.ReleaseFreePages();
            why = "";
            return true;
        }
    }

    /// <summary>The allocator object: one pointer to a virtual table of the functions below (built once per process).</summary>
    static nint Build(nint typeInfo, nint isSimple)
    {
        var vtable = (nint*)NativeMemory.Alloc((nuint)(2 + Slots), (nuint)sizeof(nint));
        vtable[0] = 0;                                                 // offset to top
        vtable[1] = typeInfo;
        var slots = vtable + 2;
        slots[0] = slots[1] = (nint)(delegate* unmanaged<nint, void>)&Destroy;
        slots[AllocateSlot] = (nint)(delegate* unmanaged<nint*, nint, nuint, nint*>)&Allocate;
        slots[IsSimpleSlot] = isSimple;
        slots[RawDeleterSlot] = (nint)(delegate* unmanaged<nint, nint>)&RawDeleter;
        slots[CopyDataSlot] = (nint)(delegate* unmanaged<nint, nint, nint, nuint, void>)&CopyData;
        var allocator = (nint)NativeMemory.Alloc((nuint)sizeof(nint));
        *(nint*)allocator = (nint)slots;
        return allocator;
    }

    /// <summary>Gives libtorch its previous allocator back and unmaps every cached block.</summary>
    static void Uninstall()
    {
        lock (Gate)
        {
            if (!_installed) return;
            NativeLibrary.TryLoad("libc10.so", out var c10);
            var set = NativeLibrary.GetExport(c10, "_ZN3c1015SetCPUAllocatorEPNS_9AllocatorEh");
            ((delegate* unmanaged<nint, byte, void>)set)(_previous, 0);
            _installed = false;
            Flush();
        }
    }

    /// <summary>Unmaps every cached free block (blocks in use stay; they are unmapped when freed).</summary>
    public static void Flush()
    {
        lock (Gate)
        {
            foreach (var (size, blocks) in FreeBySize)
                while (blocks.Count > 0) Unmap(blocks.Pop(), size);
            _cachedBytes = 0;
        }
    }

    /// <summary>
    /// Allocates through <paramref name="allocate"/> once and checks the <c>DataPtr</c> that comes back: its data and
    /// context are the same pointer, its device is the CPU; the word that is neither is the deleter, used to free it.
    /// </summary>
    static bool Probe(nint allocator, nint allocate, out string why)
    {
        var dataPtr = stackalloc nint[4];
        ((delegate* unmanaged<nint*, nint, nuint, nint*>)allocate)(dataPtr, allocator, 256);
        _contextWord = dataPtr[1] == dataPtr[0] ? 1 : dataPtr[2] == dataPtr[0] ? 2 : 0;
        _deleterWord = 3 - _contextWord;
        bool cpu = ((sbyte*)(dataPtr + 3))[0] == 0;
        if (dataPtr[0] == 0 || _contextWord == 0 || dataPtr[_deleterWord] == 0 || !cpu)
        {
            why = "libtorch's allocation record is not laid out as expected";
            return false;                                             // leaks the 256-byte probe rather than guess
        }
        ((delegate* unmanaged<nint, void>)dataPtr[_deleterWord])(dataPtr[_contextWord]);
        why = "";
        return true;
    }

    [UnmanagedCallersOnly]
    static void Destroy(nint self) { }                                // the object lives as long as the process

    /// <summary>c10::Allocator::allocate: the result is returned through the hidden first argument.</summary>
    [UnmanagedCallersOnly]
    static nint* Allocate(nint* result, nint self, nuint bytes)
    {
        nint data = bytes == 0 ? 0 : Take((long)bytes);
        result[0] = data;
        result[_contextWord] = data;
        result[_deleterWord] = (nint)(delegate* unmanaged<nint, void>)&Delete;
        result[3] = 0;
        ((sbyte*)(result + 3))[1] = -1;                               // Device(CPU, index −1)
        return result;
    }

    [UnmanagedCallersOnly]
    static nint RawDeleter(nint self) => (nint)(delegate* unmanaged<nint, void>)&Delete;

    [UnmanagedCallersOnly]
    static void CopyData(nint self, nint destination, nint source, nuint count) =>
        Buffer.MemoryCopy((void*)source, (void*)destination, count, count);

    [UnmanagedCallersOnly]
    static void Delete(nint block)
    {
        if (block == 0) return;
        lock (Gate)
        {
            if (!MappedSize.TryGetValue(block, out long size)) { NativeMemory.AlignedFree((void*)block); return; }
            if (!_installed || _cachedBytes + size > _limitBytes) { Unmap(block, size); return; }
            if (!FreeBySize.TryGetValue(size, out var blocks)) FreeBySize[size] = blocks = new Stack<nint>();
            blocks.Push(block);
            _cachedBytes += size;
        }
    }

    static nint Take(long bytes)
    {
        if (bytes < MinBytes) return Checked((nint)NativeMemory.AlignedAlloc((nuint)bytes, 64), bytes);
        long size = (bytes + MinBytes - 1) / MinBytes * MinBytes;
        lock (Gate)
        {
            if (FreeBySize.TryGetValue(size, out var blocks) && blocks.Count > 0)
            {
                _cachedBytes -= size;
                _hits++;
                return blocks.Pop();
            }
            _misses++;
            nint block = Map(size);
            if (block == -1) { Flush(); block = Map(size); }
            block = Checked(block == -1 ? 0 : block, bytes);
            MappedSize[block] = size;
            return block;
        }
    }

    /// <summary>A C++ caller cannot receive a .NET exception: out of memory ends the process with one clear line.</summary>
    static nint Checked(nint block, long bytes)
    {
        if (block == 0) Environment.FailFast($"out of memory: libtorch asked for {bytes:N0} bytes");
        return block;
    }

    static nint Map(long size) => mmap(0, (nuint)size, 3 /* read|write */, 0x22 /* private|anonymous */, -1, 0);

    static void Unmap(nint block, long size)
    {
        munmap(block, (nuint)size);
        MappedSize.Remove(block);
    }

    [DllImport("libc.so.6")]
    static extern nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);
    [DllImport("libc.so.6")] static extern int munmap(nint address, nuint length);
}

using System.Text;

namespace SharpLM.Interop;

/// <summary>Tensor element types of GGUF (ggml_type values) that the exporter writes.</summary>
public enum GgufType : uint
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
}

/// <summary>
/// Writes a GGUF v3 file: header (magic, version, tensor count, key/value count), typed key/values, tensor infos (name,
/// dimensions with the fastest-varying first, type, offset), then the tensor data, each tensor aligned to
/// <see cref="Alignment"/> bytes (the general.alignment default). Values are collected first and written in one pass.
/// </summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;
    const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    const uint Version = 3;

    enum ValueType : uint { UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9, UInt64 = 10 }

    readonly List<(string Key, Action<BinaryWriter> Write)> _values = [];
    readonly List<(string Name, long[] Dims, GgufType Type, byte[] Data)> _tensors = [];

    public void Add(string key, string value) => _values.Add((key, w => { w.Write((uint)ValueType.String); Str(w, value); }));
    public void Add(string key, uint value) => _values.Add((key, w => { w.Write((uint)ValueType.UInt32); w.Write(value); }));
    public void Add(string key, int value) => _values.Add((key, w => { w.Write((uint)ValueType.Int32); w.Write(value); }));
    public void Add(string key, float value) => _values.Add((key, w => { w.Write((uint)ValueType.Float32); w.Write(value); }));
    public void Add(string key, bool value) => _values.Add((key, w => { w.Write((uint)ValueType.Bool); w.Write(value); }));

    public void Add(string key, IReadOnlyList<string> values) => _values.Add((key, w =>
    {
        w.Write((uint)ValueType.Array);
        w.Write((uint)ValueType.String);
        w.Write((ulong)values.Count);
        foreach (var v in values) Str(w, v);
    }));

    public void Add(string key, IReadOnlyList<int> values) => _values.Add((key, w =>
    {
        w.Write((uint)ValueType.Array);
        w.Write((uint)ValueType.Int32);
        w.Write((ulong)values.Count);
        foreach (var v in values) w.Write(v);
    }));

    /// <summary>A tensor; <paramref name="dims"/> in GGUF order (ne0, the contiguous one, first), data already encoded.</summary>
    public void AddTensor(string name, long[] dims, GgufType type, byte[] data) => _tensors.Add((name, dims, type, data));

    public void WriteTo(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_values.Count);
        foreach (var (key, write) in _values)
        {
            Str(w, key);
            write(w);
        }
        long offset = 0;
        foreach (var (name, dims, type, data) in _tensors)
        {
            Str(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write((ulong)d);
            w.Write((uint)type);
            w.Write((ulong)offset);
            offset = Align(offset + data.Length);
        }
        Pad(w);
        long start = w.BaseStream.Position;
        foreach (var (_, _, _, data) in _tensors)
        {
            w.Write(data);
            Pad(w, start);
        }
    }

    static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    static void Pad(BinaryWriter w, long origin = 0)
    {
        long at = w.BaseStream.Position - origin;
        for (long i = at; i < Align(at); i++) w.Write((byte)0);
    }

    static void Str(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}

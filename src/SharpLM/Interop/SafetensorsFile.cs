using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;
using static TorchSharp.torch;

namespace SharpLM.Interop;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header (per tensor: dtype, shape, data offsets;
/// optional <c>__metadata__</c> of strings), then the raw little-endian data. transformers loads only files whose
/// metadata says <c>"format": "pt"</c>, which is why we write our own rather than use a writer without metadata.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>One tensor's entry in a file's header.</summary>
    public sealed record Entry(string File, string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>Writes fp32 tensors in the given order with <c>__metadata__ {"format": "pt"}</c>.</summary>
    public static void WriteF32(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var list = tensors.Select(t => (t.Name, Values: TensorEncoding.Values(t.Tensor), Shape: t.Tensor.shape)).ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, values, shape) in list)
        {
            long bytes = values.LongLength * 4;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // the data starts 8-byte aligned; the header is padded with spaces
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, values, _) in list)
            {
                var bytes = new byte[values.Length * 4];
                Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
                stream.Write(bytes);
            }
        });
    }

    /// <summary>The tensor entries of one file; errors name the file and the field.</summary>
    public static List<Entry> ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found");
        using var stream = File.OpenRead(path);
        Span<byte> length = stackalloc byte[8];
        if (stream.Read(length) != 8) throw SharpLmException.At(path, null, null, "truncated (no header length)");
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(length);
        if (size == 0 || size > 100_000_000 || (long)size + 8 > stream.Length)
            throw SharpLmException.At(path, null, null, $"header length {size} does not fit the file ({stream.Length} bytes)");
        var json = new byte[size];
        stream.ReadExactly(json);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(json)?.AsObject() ?? throw SharpLmException.At(path, null, null, "empty header");
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(path, null, "header", $"invalid JSON: {e.Message}");
        }
        long dataBytes = stream.Length - 8 - (long)size;
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                var dtype = node!["dtype"]!.GetValue<string>();
                var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype, path, name);
                if (offsets is not [var begin, var end] || end - begin != expected || begin < 0 || end > dataBytes)
                    throw SharpLmException.At(path, null, name, $"data_offsets do not match shape [{string.Join(", ", shape)}] of {dtype}");
                entries.Add(new Entry(path, name, dtype, shape, 8 + (long)size + begin, 8 + (long)size + end));
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw SharpLmException.At(path, null, name, "expected dtype, shape and data_offsets");
            }
        }
        return entries;
    }

    /// <summary>One tensor's values as an fp32 tensor (F32, F16 and BF16 are read).</summary>
    public static Tensor ReadF32(Entry e)
    {
        var bytes = new byte[e.End - e.Begin];
        using (var stream = File.OpenRead(e.File))
        {
            stream.Position = e.Begin;
            stream.ReadExactly(bytes);
        }
        var values = new float[bytes.Length / (e.DType == "F32" ? 4 : 2)];
        if (e.DType == "F32") Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        else if (e.DType == "F16")
            for (int i = 0; i < values.Length; i++) values[i] = (float)BitConverter.ToHalf(bytes, 2 * i);
        else // bf16: the upper half of an fp32
            for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(bytes, 2 * i) << 16);
        return tensor(values, e.Shape);
    }

    static int ElementSize(string dtype, string path, string name) => dtype switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => throw SharpLmException.At(path, null, $"{name}.dtype", $"'{dtype}' is not supported (F32, F16 or BF16)"),
    };
}

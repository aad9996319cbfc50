using SharpLM.Core;
using static TorchSharp.torch;

namespace SharpLM.Interop;

/// <summary>Tensor values as GGUF data: f32, f16, or q8_0 (blocks of 32 values: an f16 scale, then 32 int8).</summary>
public static class TensorEncoding
{
    public const int Q8Block = 32;

    /// <summary>The values of <paramref name="t"/> in row-major order, as fp32.</summary>
    public static float[] Values(Tensor t) => t.detach().to(CPU).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    public static byte[] Encode(float[] values, GgufType type) => type switch
    {
        GgufType.F32 => F32(values),
        GgufType.F16 => F16(values),
        GgufType.Q8_0 => Q8(values),
        _ => throw new SharpLmException($"tensor type {type} is not supported"),
    };

    static byte[] F32(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    static byte[] F16(float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (Half)values[i]);
        return bytes;
    }

    /// <summary>ggml's reference q8_0: scale amax/127, values rounded half away from zero.</summary>
    static byte[] Q8(float[] values)
    {
        if (values.Length % Q8Block != 0) throw new SharpLmException($"q8_0 needs a multiple of {Q8Block} values (got {values.Length})");
        var bytes = new byte[values.Length / Q8Block * (2 + Q8Block)];
        for (int b = 0, at = 0; b < values.Length; b += Q8Block, at += 2 + Q8Block)
        {
            float amax = 0;
            for (int i = 0; i < Q8Block; i++) amax = MathF.Max(amax, MathF.Abs(values[b + i]));
            float d = amax / 127, inv = d != 0 ? 1 / d : 0;
            BitConverter.TryWriteBytes(bytes.AsSpan(at), (Half)d);
            for (int i = 0; i < Q8Block; i++)
                bytes[at + 2 + i] = (byte)(sbyte)MathF.Round(values[b + i] * inv, MidpointRounding.AwayFromZero);
        }
        return bytes;
    }
}

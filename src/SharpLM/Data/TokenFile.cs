using System.IO.MemoryMappedFiles;
using SharpLM.Core;

namespace SharpLM.Data;

/// <summary>A flat file of token ids (uint16 or uint32, little-endian), memory-mapped so corpora larger than RAM can be sampled.</summary>
public sealed class TokenFile : IDisposable
{
    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;

    public TokenFile(string path, int bytesPerToken)
    {
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found");
        if (bytesPerToken is not (2 or 4)) throw new SharpLmException($"{path}: token width must be 2 or 4 bytes");
        Path = path;
        BytesPerToken = bytesPerToken;
        long bytes = new FileInfo(path).Length;
        if (bytes % bytesPerToken != 0) throw new SharpLmException($"{path}: size {bytes} is not a multiple of {bytesPerToken} (truncated?)");
        Length = bytes / bytesPerToken;
        if (bytes > 0)
        {
            _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        }
    }

    public string Path { get; }
    public int BytesPerToken { get; }

    /// <summary>Number of tokens.</summary>
    public long Length { get; }

    /// <summary>Copies tokens [offset, offset + dst.Length) into <paramref name="dst"/>.</summary>
    public void Read(long offset, Span<long> dst)
    {
        if (offset < 0 || offset + dst.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"window [{offset}, {offset + dst.Length}) outside {Length} tokens of {Path}");
        for (int i = 0; i < dst.Length; i++)
        {
            long at = (offset + i) * BytesPerToken;
            dst[i] = BytesPerToken == 2 ? _view!.ReadUInt16(at) : _view!.ReadUInt32(at);
        }
    }

    public void Dispose()
    {
        _view?.Dispose();
        _map?.Dispose();
    }
}

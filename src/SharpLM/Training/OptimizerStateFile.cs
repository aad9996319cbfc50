using System.Text;
using SharpLM.Core;
using TorchSharp.Modules;

namespace SharpLM.Training;

/// <summary>
/// Loads an optimizer state file written by TorchSharp's <c>save_state_dict</c>. TorchSharp refuses a file whose recorded
/// optimizer type differs from the loading one's, but <see cref="AdamW"/>, <see cref="InPlaceAdamW"/> and
/// <see cref="FlatAdamW"/> write the same layout (AdamW's options and per-parameter state), so a checkpoint written before
/// FlatAdamW, or by a run whose parameters took the other class, still resumes.
/// </summary>
public static class OptimizerStateFile
{
    static readonly string[] AdamWFamily = [nameof(AdamW), nameof(InPlaceAdamW), nameof(FlatAdamW)];

    public static void Load(OptimizerHelper optimizer, string path)
    {
        using var file = File.OpenRead(path);
        using var reader = new BinaryReader(file, Encoding.UTF8);
        string saved, expected = optimizer.GetType().Name;
        try { saved = reader.ReadString(); }
        catch (EndOfStreamException) { throw new SharpLmException($"{path}: not an optimizer state file (truncated)"); }
        if (saved == expected)
        {
            file.Position = 0;
            optimizer.load_state_dict(reader);
            return;
        }
        if (optimizer is not AdamW || !AdamWFamily.Contains(saved))
            throw new SharpLmException($"{path}: optimizer state of {saved}, which {expected} cannot load");
        using var renamed = new MemoryStream();
        using (var writer = new BinaryWriter(renamed, Encoding.UTF8, leaveOpen: true)) writer.Write(expected);
        file.CopyTo(renamed);
        renamed.Position = 0;
        using var renamedReader = new BinaryReader(renamed, Encoding.UTF8);
        optimizer.load_state_dict(renamedReader);
    }
}

using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLM.Core;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>
/// trainer_state.json: everything besides weights and optimizer moments that a resumed run needs to continue exactly.
/// </summary>
/// <param name="Stage">"pretrain", "sft", "reward", "dpo"…</param>
/// <param name="Step">Optimizer steps completed; the resumed run starts at this 0-based step.</param>
/// <param name="TokensSeen">Training tokens consumed so far.</param>
/// <param name="DataPosition">Where the data stream continues (for random-window sampling: the step the batch keys derive from; for epoch-based stages: the example index).</param>
/// <param name="Seed">The run's seed; batches derive from (seed, step), so the same seed replays the same data.</param>
/// <param name="Schedule">The learning-rate schedule in force.</param>
/// <param name="TorchRngState">Base64 of the global torch generator state.</param>
/// <param name="TokenizerSha256">Fingerprint of the tokenizer (see <see cref="TokenizerFingerprint"/>), checked on resume.</param>
/// <param name="BestValLoss">Lowest validation loss so far, or null before the first evaluation.</param>
/// <param name="ElapsedSeconds">Training wall time before this checkpoint.</param>
/// <param name="Precision">The compute precision (fp32, bf16) and why it was chosen; a resumed run keeps it.</param>
/// <param name="WorldSize">Ranks the run trained on (see <see cref="Distributed.World"/>); 1 in files written before it was recorded.</param>
public sealed record TrainerState(
    string Stage,
    long Step,
    long TokensSeen,
    long DataPosition,
    long Seed,
    LrSchedule Schedule,
    string TorchRngState,
    string TokenizerSha256,
    double? BestValLoss,
    double ElapsedSeconds,
    PrecisionChoice? Precision = null,
    int WorldSize = 1)
{
    public const string FileName = "trainer_state.json";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The current global torch generator state, for <see cref="TorchRngState"/>.</summary>
    public static string CaptureTorchRng()
    {
        using var state = get_rng_state();
        return Convert.ToBase64String(state.bytes.ToArray());
    }

    /// <summary>Restores the global torch generator from <see cref="TorchRngState"/>.</summary>
    public void RestoreTorchRng()
    {
        var bytes = Convert.FromBase64String(TorchRngState);
        using var state = tensor(bytes, ScalarType.Byte);
        set_rng_state(state);
    }

    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json));

    public static TrainerState Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new SharpLmException($"{path}: file not found — {dir} is not a resumable checkpoint");
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
                   ?? throw SharpLmException.At(path, null, null, "empty trainer state");
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(path, e.LineNumber + 1, e.Path, e.Message);
        }
    }
}

/// <summary>SHA-256 over a tokenizer's saved files: two tokenizers with the same fingerprint encode identically.</summary>
public static class TokenizerFingerprint
{
    public static string Of(Tokenizer tokenizer)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sharplm-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            tokenizer.Save(dir);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            {
                sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file)));
                sha.AppendData(File.ReadAllBytes(file));
            }
            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

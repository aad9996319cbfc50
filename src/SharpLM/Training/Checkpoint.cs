using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>A model loaded from a checkpoint folder, with the tokenizer it was trained with.</summary>
public sealed record LoadedModel(string Dir, GptConfig Config, Gpt Model, Tokenizer Tokenizer) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// One checkpoint folder: config.json, model.safetensors (PyTorch-compatible names), the tokenizer files, any extra files
/// a stage adds (optimizer state, trainer_state.json, chat template), and manifest.json with the SHA-256 of every file.
/// Written atomically (temp folder, then rename) and verified against the manifest on load, so a flipped byte is an
/// error that names the file, never a silently wrong model.
/// </summary>
public static class Checkpoint
{
    public const string ManifestFile = "manifest.json";
    public const string WeightsFile = "model.safetensors";
    const string Format = "sharplm-checkpoint/1";

    /// <summary>Writes <paramref name="dir"/> atomically; <paramref name="extra"/> may add files to the temp folder first.</summary>
    public static void Save(string dir, Gpt model, Tokenizer tokenizer, string stage, Action<string>? extra = null) =>
        AtomicFile.WriteDirectory(dir, tmp =>
        {
            model.Config.Save(tmp);
            model.save_safetensors(Path.Combine(tmp, WeightsFile));
            tokenizer.Save(tmp);
            extra?.Invoke(tmp);
            WriteManifest(tmp, stage);
        });

    /// <summary>Hashes every file in <paramref name="dir"/> (but the manifest) into manifest.json.</summary>
    public static void WriteManifest(string dir, string stage)
    {
        var files = new JsonObject();
        foreach (var path in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name == ManifestFile) continue;
            files[name] = new JsonObject { ["sha256"] = Sha256(path), ["bytes"] = new FileInfo(path).Length };
        }
        var manifest = new JsonObject
        {
            ["format"] = Format,
            ["stage"] = stage,
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["files"] = files,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Checks every file listed in the manifest; throws naming the first missing or altered one.</summary>
    public static JsonObject Verify(string dir)
    {
        var manifestPath = Path.Combine(dir, ManifestFile);
        AtomicFile.Recover(dir);
        if (!Directory.Exists(dir)) throw new SharpLmException($"{dir}: checkpoint folder not found");
        if (!File.Exists(manifestPath))
            throw new SharpLmException($"{manifestPath}: file not found — {dir} is not a complete SharpLM checkpoint");
        JsonObject manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllText(manifestPath))?.AsObject()
                       ?? throw SharpLmException.At(manifestPath, null, null, "empty manifest");
        }
        catch (JsonException e)
        {
            throw SharpLmException.At(manifestPath, e.LineNumber + 1, null, $"corrupt manifest: {e.Message}");
        }
        if (manifest["format"]?.GetValue<string>() != Format)
            throw SharpLmException.At(manifestPath, null, "format", $"expected {Format}");
        var files = manifest["files"]?.AsObject() ?? throw SharpLmException.At(manifestPath, null, "files", "missing");
        foreach (var (name, entry) in files)
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path)) throw new SharpLmException($"{path}: listed in {ManifestFile} but missing");
            var expected = entry?["sha256"]?.GetValue<string>();
            if (expected != Sha256(path))
                throw new SharpLmException($"{path}: checksum mismatch (the file is corrupted or was changed after saving)");
        }
        return manifest;
    }

    /// <summary>Verifies and loads a checkpoint folder onto <paramref name="device"/> (CPU by default).</summary>
    public static LoadedModel Load(string dir, Device? device = null)
    {
        Verify(dir);
        var config = GptConfig.Load(dir);
        var tokenizer = Tokenizer.Load(dir);
        if (tokenizer.VocabSize != config.VocabSize)
            throw new SharpLmException(
                $"{dir}: tokenizer has {tokenizer.VocabSize} ids but config.json says vocab_size {config.VocabSize}");
        var model = new Gpt(config);
        model.load_safetensors(Path.Combine(dir, WeightsFile), strict: true);
        if (device is not null && device.type != DeviceType.CPU) model.to(device);
        model.eval();
        return new LoadedModel(dir, config, model, tokenizer);
    }

    static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

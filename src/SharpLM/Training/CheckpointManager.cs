using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using TorchSharp.Modules;
using TorchSharp.PyBridge;

namespace SharpLM.Training;

/// <summary>
/// Writes and restores the checkpoints of one run folder (<see cref="RunFolder"/>): each save writes
/// <c>checkpoints/step-NNNNNN/</c> (weights, tokenizer, optimizer.bin, trainer_state.json, manifest), replaces <c>model/</c>,
/// replaces <c>best/</c> when the validation loss improved, and deletes all but the last <paramref name="keepLast"/> step folders.
/// Every folder is written atomically, so a kill or a full disk leaves the previous one intact.
/// </summary>
public sealed class CheckpointManager(RunFolder run, string stage, int keepLast = 2)
{
    public const string OptimizerFile = "optimizer.bin";

    public RunFolder Run { get; } = run;

    /// <summary>The newest complete resumable checkpoint, or null when there is none (half-written temp folders are ignored).</summary>
    public string? Latest() =>
        Directory.Exists(Run.CheckpointsDir)
            ? Directory.EnumerateDirectories(Run.CheckpointsDir, "step-*")
                .Where(d => File.Exists(Path.Combine(d, Checkpoint.ManifestFile)))
                .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal)
                .LastOrDefault()
            : null;

    /// <summary>
    /// Saves after <see cref="TrainerState.Step"/> steps. <paramref name="valLoss"/>, when given and lower than
    /// <see cref="TrainerState.BestValLoss"/>, also replaces <c>best/</c>. Returns the state with the best loss updated.
    /// <paramref name="extra"/> adds a stage's own files (a reward or value head, the chat template) to every folder written.
    /// </summary>
    public TrainerState Save(Gpt model, Tokenizer tokenizer, OptimizerHelper optimizer, TrainerState state, double? valLoss,
        Action<string>? extra = null)
    {
        bool improved = valLoss is { } v && double.IsFinite(v) && (state.BestValLoss is not { } best || v < best);
        if (improved) state = state with { BestValLoss = valLoss };
        void Files(string tmp) { state.Save(tmp); extra?.Invoke(tmp); }
        var stepDir = Run.StepDir(state.Step);
        var previous = Latest();
        try
        {
            Checkpoint.Save(stepDir, model, tokenizer, stage, tmp =>
            {
                optimizer.save_state_dict(Path.Combine(tmp, OptimizerFile));
                Files(tmp);
            });
            Checkpoint.Save(Run.ModelDir, model, tokenizer, stage, Files);
            if (improved) Checkpoint.Save(Run.BestDir, model, tokenizer, stage, Files);
        }
        catch (IOException e)
        {
            // A full disk or a vanished folder: every folder is written atomically, so the previous ones are intact.
            throw new SharpLmException(
                $"{stepDir}: could not write the checkpoint ({e.Message}); the previous checkpoint {previous ?? "(none)"} is intact", e);
        }
        Prune();
        return state;
    }

    /// <summary>
    /// Verifies <paramref name="dir"/> against its manifest (a flipped byte in any file is an error naming it), loads its
    /// weights into <paramref name="model"/> and its moments into <paramref name="optimizer"/>, and returns its trainer state.
    /// The global torch RNG is restored too.
    /// </summary>
    public static TrainerState Restore(string dir, Gpt model, OptimizerHelper optimizer)
    {
        Checkpoint.Verify(dir);
        var config = GptConfig.Load(dir);
        if (config != model.Config)
            throw new SharpLmException($"{Path.Combine(dir, GptConfig.FileName)}: the checkpoint's model shape differs from the requested one");
        var optimizerPath = Path.Combine(dir, OptimizerFile);
        if (!File.Exists(optimizerPath)) throw new SharpLmException($"{optimizerPath}: file not found — {dir} is not a resumable checkpoint");
        var state = TrainerState.Load(dir);
        model.load_safetensors(Path.Combine(dir, Checkpoint.WeightsFile), strict: true);
        OptimizerStateFile.Load(optimizer, optimizerPath);
        state.RestoreTorchRng();
        return state;
    }

    /// <summary>
    /// Deletes the temp folders a killed save leaves behind (".NAME.tmp-…", see <see cref="AtomicFile.WriteDirectory"/>).
    /// Call only when no other process writes to the run, i.e. when resuming.
    /// </summary>
    public void RemoveTempFolders()
    {
        foreach (var dir in new[] { Run.Root, Run.CheckpointsDir }.Where(Directory.Exists))
            foreach (var tmp in Directory.EnumerateDirectories(dir, ".*.tmp-*"))
                Directory.Delete(tmp, recursive: true);
    }

    void Prune()
    {
        var steps = Directory.EnumerateDirectories(Run.CheckpointsDir, "step-*")
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToList();
        foreach (var old in steps.Take(Math.Max(0, steps.Count - Math.Max(1, keepLast))))
            Directory.Delete(old, recursive: true);
    }
}

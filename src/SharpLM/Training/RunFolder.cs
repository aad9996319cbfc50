using SharpLM.Core;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>
/// The layout of a training run's folder, shared by every stage:
/// <list type="bullet">
/// <item><c>model/</c> — the latest complete checkpoint (what later stages load), replaced atomically;</item>
/// <item><c>checkpoints/step-NNNNNN/</c> — resumable checkpoints (model, optimizer.bin, trainer_state.json), the last K kept;</item>
/// <item><c>best/</c> — the checkpoint with the lowest validation loss;</item>
/// <item><c>metrics.jsonl</c>, <c>loss.png</c>, <c>run.json</c> (the command and options).</item>
/// </list>
/// </summary>
public sealed record RunFolder(string Root)
{
    public const string ModelDirName = "model";
    public const string CheckpointsDirName = "checkpoints";
    public const string BestDirName = "best";
    public const string RunFileName = "run.json";

    public string ModelDir => Path.Combine(Root, ModelDirName);
    public string CheckpointsDir => Path.Combine(Root, CheckpointsDirName);
    public string BestDir => Path.Combine(Root, BestDirName);
    public string MetricsPath => Path.Combine(Root, MetricsLog.FileName);
    public string ChartPath => Path.Combine(Root, LossChart.FileName);
    public string RunFile => Path.Combine(Root, RunFileName);

    /// <summary>Folder of the resumable checkpoint after <paramref name="step"/> steps.</summary>
    public string StepDir(long step) => Path.Combine(CheckpointsDir, $"step-{step:D6}");

    /// <summary>
    /// The checkpoint folder a path means: a checkpoint folder itself (it holds manifest.json), or a run folder (its
    /// <c>model/</c>). Anything else is a <see cref="SharpLmException"/> saying what was expected.
    /// </summary>
    public static string ResolveModel(string path)
    {
        if (!Directory.Exists(path)) throw new SharpLmException($"{path}: folder not found (expected a run folder or a checkpoint folder)");
        if (File.Exists(Path.Combine(path, Checkpoint.ManifestFile))) return path;
        var model = Path.Combine(path, ModelDirName);
        AtomicFile.Recover(model);
        if (File.Exists(Path.Combine(model, Checkpoint.ManifestFile))) return model;
        throw new SharpLmException(
            $"{path}: not a checkpoint folder (no {Checkpoint.ManifestFile}) nor a run folder with a complete {ModelDirName}/ checkpoint");
    }

    /// <summary>Verifies and loads the model a run folder or checkpoint folder holds (see <see cref="ResolveModel"/>).</summary>
    public static LoadedModel LoadModel(string path, Device? device = null) => Checkpoint.Load(ResolveModel(path), device);
}

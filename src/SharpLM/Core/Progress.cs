namespace SharpLM.Core;

/// <summary>
/// One progress report from long-running library work. The library only reports; the CLI decides how to show it
/// (a Spectre.Console bar in a terminal, plain lines when piped).
/// </summary>
/// <param name="Task">What is running ("tokenizer train", "pretrain").</param>
/// <param name="Done">Units done so far.</param>
/// <param name="Total">Units in all, or null when unknown.</param>
/// <param name="Unit">"bytes", "steps", "tokens"...</param>
/// <param name="Detail">A short status line (loss, tokens/s...).</param>
public sealed record ProgressUpdate(string Task, double Done, double? Total, string Unit, string? Detail = null);

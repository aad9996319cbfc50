using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Evaluation;

/// <summary>Loss (nats per token) and bits per byte of a text, over <see cref="Windows"/> windows holding <see cref="Tokens"/> targets.</summary>
public sealed record TextLossResult(double Loss, double BitsPerByte, long Tokens, int Windows);

/// <summary>
/// Scores a plain text: BOS + its tokens cut into consecutive windows of the context length (each window's targets are the
/// next tokens), with loss and bits per byte as <see cref="LossMeter"/> defines them.
/// </summary>
public static class TextLoss
{
    public static TextLossResult Evaluate(Gpt model, Tokenizer tokenizer, string text, int? maxWindows = null,
        IProgress<ProgressUpdate>? progress = null, int windowsPerForward = 8)
    {
        int T = model.Config.ContextLength;
        int[] ids = [tokenizer.BosId, .. tokenizer.Encode(text)];
        if (ids.Length < 2) throw new SharpLmException("text too short to score (no next token)");
        int windows = (ids.Length - 2) / T + 1;
        if (maxWindows is { } m) windows = Math.Min(windows, m);
        bool wasTraining = model.training;
        model.eval();
        var meter = new LossMeter(tokenizer);
        var device = model.HeadWeight.device;
        using (no_grad())
        {
            for (int w0 = 0; w0 < windows; w0 += windowsPerForward)
            {
                using var scope = NewDisposeScope();
                int B = Math.Min(windowsPerForward, windows - w0);
                var x = new long[B * T];
                var y = new long[B * T];
                Array.Fill(y, Gpt.IgnoreIndex);
                for (int k = 0; k < B; k++)
                {
                    int start = (w0 + k) * T, n = Math.Min(T, ids.Length - 1 - start);
                    for (int t = 0; t < n; t++)
                    {
                        x[k * T + t] = ids[start + t];
                        y[k * T + t] = ids[start + t + 1];
                    }
                }
                meter.Add(model.forward(tensor(x, [B, T], device: device)), tensor(y, [B, T], device: device)); // (B, T, V)
                progress?.Report(new ProgressUpdate("text loss", w0 + B, windows, "windows"));
            }
        }
        model.train(wasTraining);
        return new TextLossResult(meter.Loss, meter.BitsPerByte, meter.Tokens, windows);
    }
}

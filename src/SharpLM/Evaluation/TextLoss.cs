using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Evaluation;

/// <summary>Loss (nats per token) and bits per byte of a text, over <see cref="Windows"/> windows holding <see cref="Tokens"/> targets.</summary>
public sealed record TextLossResult(double Loss, double BitsPerByte, long Tokens, int Windows);

/// <summary>
/// Scores a plain text: BOS + its tokens cut into consecutive windows of the context length (each window's targets are the
/// next tokens). Bits per byte divide the summed nats by ln 2 and by the UTF-8 bytes of the target tokens, so models with
/// different tokenizers compare fairly; special tokens (no bytes) are left out of bits per byte.
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
        var bytesOf = Enumerable.Range(0, tokenizer.VocabSize).Select(id => tokenizer.IsSpecial(id) ? 0L : tokenizer.TokenBytes(id).Length).ToArray();
        bool wasTraining = model.training;
        model.eval();
        double nats = 0, natsOnText = 0;
        long tokens = 0, bytes = 0;
        var device = model.HeadWeight.device;
        using (no_grad())
        {
            for (int w0 = 0; w0 < windows; w0 += windowsPerForward)
            {
                using var scope = NewDisposeScope();
                int B = Math.Min(windowsPerForward, windows - w0);
                var x = new long[B * T];
                var y = new long[B * T];
                var b = new float[B * T];
                Array.Fill(y, Gpt.IgnoreIndex);
                for (int k = 0; k < B; k++)
                {
                    int start = (w0 + k) * T, n = Math.Min(T, ids.Length - 1 - start);
                    for (int t = 0; t < n; t++)
                    {
                        x[k * T + t] = ids[start + t];
                        y[k * T + t] = ids[start + t + 1];
                        b[k * T + t] = bytesOf[ids[start + t + 1]];
                        bytes += bytesOf[ids[start + t + 1]];
                    }
                    tokens += n;
                }
                var logits = model.forward(tensor(x, [B, T], device: device));                          // (B, T, V)
                var ce = F.cross_entropy(logits.reshape(B * T, -1), tensor(y, device: device),
                    ignore_index: Gpt.IgnoreIndex, reduction: nn.Reduction.None);                      // (B·T)
                nats += ce.sum().item<float>();
                natsOnText += (ce * tensor(b, device: device).gt(0)).sum().item<float>();
                progress?.Report(new ProgressUpdate("text loss", w0 + B, windows, "windows"));
            }
        }
        model.train(wasTraining);
        return new TextLossResult(nats / tokens, bytes > 0 ? natsOnText / Math.Log(2) / bytes : double.NaN, tokens, windows);
    }
}

using SharpLM.Data;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpLM.Training;

/// <summary>Validation loss (nats per token) and bits per byte over a fixed set of windows.</summary>
public sealed record EvalResult(double Loss, double BitsPerByte, long Tokens);

/// <summary>
/// Scores a model on the same validation windows at every evaluation (they derive from the seed, not from the step), so
/// successive figures are comparable. Bits per byte divide the summed nats by ln 2 and by the UTF-8 bytes the target
/// tokens stand for; special tokens (no text) are left out of bits per byte, as nanochat does.
/// </summary>
public sealed class LossEvaluator
{
    const long ValStream = 1;
    readonly Tensor _tokenBytes; // (V) UTF-8 length of each token, 0 for specials

    public LossEvaluator(Tokenizer tokenizer)
    {
        var bytes = new long[tokenizer.VocabSize];
        for (int id = 0; id < bytes.Length; id++) bytes[id] = tokenizer.IsSpecial(id) ? 0 : tokenizer.TokenBytes(id).Length;
        _tokenBytes = tensor(bytes);
    }

    public EvalResult Evaluate(Gpt model, TokenFile val, int batch, int context, int batches, long seed)
    {
        bool wasTraining = model.training;
        model.eval();
        double nats = 0, natsOnText = 0, bytes = 0;
        long tokens = 0;
        using (no_grad())
        {
            for (int k = 0; k < batches; k++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = BatchSampler.Sample(val, batch, context, seed, ValStream, k, model.HeadWeight.device); // (B, T)
                var logits = model.forward(x);                                                                      // (B, T, V)
                var ce = F.cross_entropy(logits.reshape(-1, logits.shape[^1]), y.reshape(-1), reduction: nn.Reduction.None); // (B·T)
                var b = _tokenBytes.index_select(0, y.reshape(-1).cpu()).to(ce.device);                           // (B·T)
                nats += ce.sum().item<float>();
                natsOnText += (ce * b.gt(0)).sum().item<float>();
                bytes += b.sum().item<long>();
                tokens += y.numel();
            }
        }
        model.train(wasTraining);
        return new EvalResult(nats / tokens, bytes > 0 ? natsOnText / Math.Log(2) / bytes : double.NaN, tokens);
    }
}

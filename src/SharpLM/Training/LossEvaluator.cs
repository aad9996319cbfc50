using SharpLM.Data;
using SharpLM.Evaluation;
using SharpLM.Model;
using SharpLM.Tokenization;
using static TorchSharp.torch;

namespace SharpLM.Training;

/// <summary>Validation loss (nats per token) and bits per byte over a fixed set of windows.</summary>
public sealed record EvalResult(double Loss, double BitsPerByte, long Tokens);

/// <summary>
/// Scores a model on the same validation windows at every evaluation (they derive from the seed, not from the step), so
/// successive figures are comparable (loss and bits per byte as <see cref="LossMeter"/> defines them).
/// </summary>
public sealed class LossEvaluator(Tokenizer tokenizer)
{
    const long ValStream = 1;

    public EvalResult Evaluate(Gpt model, TokenFile val, int batch, int context, int batches, long seed)
    {
        bool wasTraining = model.training;
        model.eval();
        var meter = new LossMeter(tokenizer);
        using (no_grad())
        {
            for (int k = 0; k < batches; k++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = BatchSampler.Sample(val, batch, context, seed, ValStream, k, model.HeadWeight.device); // (B, T)
                meter.Add(model.forward(x), y);                                                                     // (B, T, V)
            }
        }
        model.train(wasTraining);
        return new EvalResult(meter.Loss, meter.BitsPerByte, meter.Tokens);
    }
}

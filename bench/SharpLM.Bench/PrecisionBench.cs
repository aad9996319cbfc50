using SharpLM.Core;
using SharpLM.Inference;
using SharpLM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLM.Bench;

/// <summary>
/// What half-precision inference weights cost in fidelity, on trained checkpoints: for each precision, the largest
/// |Δ log p| and the mean KL(fp32 ‖ precision) per position against the plain fp32 forward pass over English and Chinese
/// text, top-1 agreement, and how many greedy tokens match fp32 generation before the first difference.
/// Args: checkpoint folders (default runs/speedrun/sft/model).
/// </summary>
public sealed class PrecisionBench : IBenchmark
{
    public string Name => "precision";
    public string Description => "fidelity of fp32/bf16/fp16 inference weights against the fp32 forward pass (trained checkpoints)";

    static readonly string[] Texts =
    [
        "Once upon a time, there was a little girl named Lily. She loved to play in the park with her dog.",
        "The quick brown fox jumps over the lazy dog. In 1905, Einstein published four papers.",
        "湖南的省会城市是长沙。床前明月光，疑是地上霜。举头望明月，低头思故乡。",
    ];

    static readonly string[] Prompts = ["Once upon a time", "The king said", "Lily and Ben", "湖南的省会", "床前明月光"];

    public int Run(string[] args)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 0, Seed: 1));
        foreach (var dir in args.Length > 0 ? args : ["runs/speedrun/sft/model"])
        {
            using var loaded = RunFolder.LoadModel(dir, CPU);
            var model = loaded.Model;
            Console.WriteLine($"{dir}: {loaded.Config.ParameterCount:N0} parameters, vocabulary {loaded.Config.VocabSize:N0}");
            var reference = new SharpLM.Inference.Generator(model, loaded.Tokenizer);
            foreach (var (name, precision) in SharpLM.Inference.Generator.Precisions)
            {
                double maxDiff = 0, kl = 0;
                long agree = 0, positions = 0;
                foreach (var text in Texts)
                {
                    using var scope = NewDisposeScope();
                    using var mode = inference_mode();
                    var ids = tensor(loaded.Tokenizer.Encode(text).Select(i => (long)i).ToArray()).unsqueeze(0);  // (1, T)
                    var exact = model.forward(ids).log_softmax(-1);                                                 // (1, T, V)
                    Tensor half;
                    using (model.FuseForInference(precision)) half = model.forward(ids).log_softmax(-1);
                    maxDiff = Math.Max(maxDiff, (half - exact).abs().max().item<float>());
                    kl += (exact.exp() * (exact - half)).sum().item<float>();
                    agree += half.argmax(-1).eq(exact.argmax(-1)).sum().item<long>();
                    positions += ids.shape[1];
                }
                var generator = new SharpLM.Inference.Generator(model, loaded.Tokenizer, precision);
                var greedy = new GenerationOptions(MaxNewTokens: 64, Sampling: SamplingOptions.Greedy);
                int same = 0, total = 0;
                foreach (var prompt in Prompts)
                {
                    var ids = reference.EncodePrompt(prompt);
                    var a = reference.Generate([ids], greedy)[0].Tokens;
                    var b = generator.Generate([ids], greedy)[0].Tokens;
                    same += a.Zip(b).TakeWhile(p => p.First == p.Second).Count();
                    total += a.Length;
                }
                Console.WriteLine($"  {name}: max |Δ log p| {maxDiff:0.0e0}, mean KL {kl / positions:0.0e0} nats/position, " +
                                  $"top-1 agreement {agree}/{positions}, greedy tokens equal to fp32 before the first difference {same}/{total}");
            }
        }
        return 0;
    }
}

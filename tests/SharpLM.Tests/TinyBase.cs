using SharpLM.Inference;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Tests;

/// <summary>A tiny randomly initialised (or briefly trained) "base model" checkpoint over a character tokenizer, for stage tests.</summary>
public static class TinyBase
{
    public static Tokenizer Tokenizer(params string[] texts) =>
        CharTokenizer.Train([.. texts, "abcdefghijklmnopqrstuvwxyz0123456789 .,?!:'\n#"]);

    public static GptConfig Config(Tokenizer tokenizer, int context = 64) => new(tokenizer.VocabSize, context, 2, 32, 2, 2);

    /// <summary>Saves an untrained model to <paramref name="dir"/>, seeded so runs are reproducible.</summary>
    public static string Save(string dir, Tokenizer tokenizer, int context = 64)
    {
        manual_seed(7);
        using var model = new Gpt(Config(tokenizer, context));
        Checkpoint.Save(dir, model, tokenizer, "pretrain");
        return dir;
    }

    /// <summary>Greedy answer of a chat model to one user message (until the assistant end token or <paramref name="max"/> tokens).</summary>
    public static string Answer(Gpt model, Tokenizer tokenizer, string question, int max = 40)
    {
        var template = new ChatTemplate(tokenizer);
        var prompt = template.RenderForGeneration([new ChatMessage(ChatMessage.User, question)]);
        var options = new GenerationOptions(max, SamplingOptions.Greedy, [template.AssistantEndId]);
        return new SharpLM.Inference.Generator(model, tokenizer).Generate([prompt], options)[0].Text;
    }
}

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
        var ids = template.RenderForGeneration([new ChatMessage(ChatMessage.User, question)]).ToList();
        var answer = new List<int>();
        using var _ = no_grad();
        for (int i = 0; i < max && ids.Count < model.Config.ContextLength; i++)
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(tensor(ids.Select(x => (long)x).ToArray(), [1, ids.Count]));   // (1, T, V)
            int next = (int)logits[0, -1].argmax().item<long>();
            if (next == template.AssistantEndId) break;
            ids.Add(next);
            answer.Add(next);
        }
        return tokenizer.Decode(answer.ToArray());
    }
}

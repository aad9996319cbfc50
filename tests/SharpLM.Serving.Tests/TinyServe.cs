using SharpLM.Core;
using SharpLM.Tests;
using SharpLM.Model;
using SharpLM.Serving;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;

namespace SharpLM.Serving.Tests;

/// <summary>
/// Tiny random chat models saved as run folders, and servers on 127.0.0.1 (port 0) over them. The head is sharpened so
/// greedy choices are not near-ties. Every embedding gets a constant channel, so the final hidden state has a large positive
/// channel 0; every ordinary token's head row gets weight 1 there and every special token's row is zero: a special token
/// (which ends an answer) is about e⁻⁵ times less likely than an ordinary one, so answers run to their token budget
/// unless a stop string ends them. An <c>endless</c> model never ends an answer by itself (see <see cref="SaveModel"/>).
/// </summary>
public static class TinyServe
{
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,?!:;'\"+-=*/()\n你好世界我爱吃苹果湖南的省会城市是长沙什么请问简短回答，。？！";

    /// <param name="endless">
    /// Makes ending an answer practically impossible, for tests that must find a request still generating: no block writes
    /// to channel 0, so it stays the embeddings' constant 1 and the final norm keeps it positive; every ordinary token's
    /// logit then gains +<see cref="EndlessMargin"/> × that channel and every special token's loses as much. Ordinary
    /// tokens keep their relative odds (the same shift for all), and a special token is ~e⁻²⁰⁰ as likely.
    /// </param>
    public static string SaveModel(string dir, long seed = 7, int context = 2048, bool endless = false)
    {
        TorchRuntime.Apply(new TorchSettings(Threads: 1, Seed: seed));
        var tokenizer = CharTokenizer.Train([Alphabet]);
        using var model = new Gpt(new GptConfig(tokenizer.VocabSize, context, Depth: 2, Width: 32, Heads: 4, KvHeads: 2));
        using (torch.no_grad())
        {
            model.Embedding.weight![.., 0].fill_(1.0);
            var head = model.HeadWeight;
            head.mul_(20);
            head[.., 0].fill_(endless ? EndlessMargin : 1.0);
            foreach (var id in tokenizer.SpecialTokenIds.Values) head[id].zero_();
            if (endless)
            {
                foreach (var block in model.Blocks)
                {
                    block.Attention.OutProjection.weight![0].zero_();
                    block.Mlp.OutProjection.weight![0].zero_();
                }
                foreach (var id in tokenizer.SpecialTokenIds.Values) head[id, 0].fill_(-EndlessMargin);
            }
        }
        Checkpoint.Save(dir, model, tokenizer, "sft", new ChatTemplate(tokenizer).Save);
        return dir;
    }

    const double EndlessMargin = 100;

    public static Task<Server> Start(string[] models, string feedback, int parallel = 4, int queue = 16, string? apiKey = null,
        string precision = "auto") =>
        Server.StartAsync(new ServeOptions(models, Port: 0, ApiKey: apiKey, Parallel: parallel, Queue: queue, Feedback: feedback,
            Precision: precision));
}

/// <summary>One model folder and one server over it, shared by the tests of a class (started once).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TempDir Dir { get; } = new();
    public Server Server { get; private set; } = null!;
    public string Model { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Model = TinyServe.SaveModel(Dir["chat"]);
        Server = await TinyServe.Start([Model], Dir["feedback.jsonl"]);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Dir.Dispose();
    }
}

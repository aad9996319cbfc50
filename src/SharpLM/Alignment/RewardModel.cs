using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SharpLM.Alignment;

/// <summary>
/// A reward model: the GPT trunk (usually initialised from an SFT run) and a <see cref="ScalarHead"/> reading the final token's
/// hidden state, so the score sees the whole prompt and answer. Saved as a normal checkpoint folder (the trunk, tokenizer and
/// chat template) plus <see cref="HeadFile"/>, all covered by the manifest.
/// </summary>
public sealed class RewardModel : nn.Module
{
    public const string HeadFile = "reward_head.safetensors";
    public const string Stage = "reward";

    readonly Gpt trunk;
    readonly ScalarHead head;

    public RewardModel(Gpt trunk, Tokenizer tokenizer, ChatTemplate template, ScalarHead? head = null) : base(nameof(RewardModel))
    {
        this.trunk = trunk;
        this.head = head ?? new ScalarHead(trunk.Config.Width);
        Tokenizer = tokenizer;
        Template = template;
        RegisterComponents();
    }

    public Gpt Trunk => trunk;
    public ScalarHead Head => head;
    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }

    /// <summary>Rewards (B) for a batch: the head on each row's final token.</summary>
    public Tensor Forward(SequenceBatch batch) => head.AtIndex(trunk.Hidden(batch.Ids), batch.LastIndexTensor);

    /// <summary>Scores rows without gradients, <paramref name="batchSize"/> at a time.</summary>
    public float[] Score(IReadOnlyList<PromptResponse> rows, int batchSize = 16)
    {
        using var _ = no_grad();
        var scores = new List<float>(rows.Count);
        var device = head.parameters().First().device;
        foreach (var chunk in rows.Select(r => r.Fit(trunk.Config.ContextLength)).Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = SequenceBatch.Build(chunk, device);
            scores.AddRange(Forward(batch).cpu().data<float>().ToArray());
        }
        return scores.ToArray();
    }

    /// <summary>The score of one answer to one conversation.</summary>
    public float Score(IReadOnlyList<ChatMessage> prompt, string response) =>
        Score([PromptResponse.From(Template, Tokenizer, prompt, response)])[0];

    public void Save(string dir) => Checkpoint.Save(dir, trunk, Tokenizer, Stage, SaveExtras);

    /// <summary>Writes what a reward model adds to a checkpoint folder: the head and the chat template.</summary>
    public void SaveExtras(string dir)
    {
        head.save_safetensors(Path.Combine(dir, HeadFile));
        Template.Save(dir);
    }

    /// <summary>Reads the head saved by <see cref="SaveExtras"/> in <paramref name="dir"/>.</summary>
    public void LoadHead(string dir)
    {
        var headPath = Path.Combine(dir, HeadFile);
        if (!File.Exists(headPath))
            throw new Core.SharpLmException($"{dir}: not a reward model ({HeadFile} missing); train one with `sharplm reward train`");
        head.load_safetensors(headPath, strict: true);
    }

    /// <summary>
    /// A fresh head on a loaded trunk (an SFT or base checkpoint); a base model gets the default chat template. The trunk's
    /// unused language-model head is frozen so the optimizer skips it.
    /// </summary>
    public static RewardModel FromBase(LoadedModel loaded)
    {
        var model = new RewardModel(loaded.Model, loaded.Tokenizer, ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer) ?? new ChatTemplate(loaded.Tokenizer));
        if (!loaded.Config.TieEmbeddings) loaded.Model.HeadWeight.requires_grad = false;
        model.head.to(loaded.Model.HeadWeight.device);
        return model;
    }

    /// <summary>Loads a folder written by <see cref="Save"/> (or a reward run folder); a checkpoint without a reward head is refused by name.</summary>
    public static RewardModel Load(string dir, Device? device = null)
    {
        dir = RunFolder.ResolveModel(dir);
        var model = FromBase(Checkpoint.Load(dir, device));
        model.LoadHead(dir);
        model.eval();
        return model;
    }
}

using System.Text;
using System.Text.Json.Nodes;
using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Tokenization;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Interop.Tests;

/// <summary>export hf → Hugging Face's own tokenizer (Rust, through Tokenizers.DotNet) and our importer read it back.</summary>
public sealed class HfExportImportTests
{
    static string ExportHf(TempDir tmp, Gpt model)
    {
        var dir = Fixture.Save(tmp["model"], model);
        HfExporter.Export(new HfExportOptions(dir, tmp["hf"]));
        return tmp["hf"];
    }

    static JsonObject Json(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    [Fact]
    public void HuggingFaceTokenizerGivesOurIds()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(ExportHf(tmp, model), "tokenizer.json"));
        foreach (var text in new[] { Fixture.MixedText, "Hello, world! 你好，世界！🎉🎉 x", "a\n\n\nb  c   d\t\te 1234567 it's" })
        {
            var ours = Fixture.Tokenizer.Encode(text);
            Assert.Equal(ours, hf.Encode(text).Select(i => (int)i).ToArray());
            Assert.Equal(text, hf.Decode(ours.Select(i => (uint)i).ToArray()));
        }
        // Specials written as text are one token each, as our tokenizer gives them with allowSpecial.
        var chat = "<|bos|><|user_start|>你好<|user_end|><|assistant_start|>";
        Assert.Equal(Fixture.Tokenizer.Encode(chat, allowSpecial: true), hf.Encode(chat).Select(i => (int)i).ToArray());
    }

    [Theory]
    [InlineData(MlpKind.SwiGlu, true, false, 0, "Qwen3ForCausalLM")]
    [InlineData(MlpKind.SwiGlu, false, true, 0, "LlamaForCausalLM")]
    [InlineData(MlpKind.ReluSquared, false, false, 0, "ArceeForCausalLM")]
    [InlineData(MlpKind.SwiGlu, true, true, 48, "Qwen3ForCausalLM")]
    public void ImportOfTheExportGivesBitIdenticalLogits(MlpKind mlp, bool qkNorm, bool tie, int headDim, string hfClass)
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(mlp, qkNorm, tie, headDim));
        var hf = ExportHf(tmp, model);
        var config = Json(Path.Combine(hf, "config.json"));
        Assert.Equal(hfClass, config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(tie, config["tie_word_embeddings"]!.GetValue<bool>());
        Assert.Equal(headDim == 0 ? 32 : headDim, config["head_dim"]!.GetValue<int>());

        var result = HfImporter.Import(new HfImportOptions(hf, tmp["run"]));
        Assert.Empty(result.AddedSpecials);
        Assert.True(result.ChatTemplate);
        using var loaded = RunFolder.LoadModel(tmp["run"]);
        Assert.Equal(model.Config, loaded.Config);
        var ids = Fixture.Tokens(64);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        Assert.Equal(Values(model.forward(x)), Values(loaded.Model.forward(x)));
        Assert.Equal(Fixture.Tokenizer.Encode(Fixture.MixedText), loaded.Tokenizer.Encode(Fixture.MixedText));
        Assert.NotNull(ChatTemplate.TryLoad(loaded.Dir, loaded.Tokenizer));
    }

    [Fact]
    public void SafetensorsCarryTheMetadataTransformersRequires()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var path = Path.Combine(ExportHf(tmp, model), "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0, length % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
        Assert.Equal("F32", header["model.layers.1.self_attn.q_norm.weight"]!["dtype"]!.GetValue<string>());
        Assert.Equal(new long[] { 64, 64 }, header["model.layers.0.self_attn.q_proj.weight"]!["shape"]!.AsArray().Select(n => n!.GetValue<long>()));
    }

    [Fact]
    public void ChatTemplateRendersWhatOurTemplateRenders()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var template = Json(Path.Combine(ExportHf(tmp, model), "tokenizer_config.json"))["chat_template"]!.GetValue<string>();
        var ours = new ChatTemplate(Fixture.Tokenizer);
        ChatMessage[] conversation =
        [
            new(ChatMessage.System, "You answer briefly. 请简短回答。"),
            new(ChatMessage.User, "湖南的省会是哪里？"),
            new(ChatMessage.Assistant, "长沙 🏙️"),
            new(ChatMessage.User, "And of Hubei?"),
        ];
        object Messages(IEnumerable<ChatMessage> ms) => ms.Select(m => (object?)new Dictionary<string, string>
            { ["role"] = m.Role, ["content"] = m.Content }).ToList();

        var prompt = MiniJinja.Render(template, new Dictionary<string, object?>
            { ["messages"] = Messages(conversation), ["add_generation_prompt"] = true });
        Assert.Equal(ours.RenderForGeneration(conversation), Fixture.Tokenizer.Encode(prompt, allowSpecial: true));

        ChatMessage[] whole = [.. conversation, new(ChatMessage.Assistant, "武汉。")];
        var training = MiniJinja.Render(template, new Dictionary<string, object?>
            { ["messages"] = Messages(whole), ["add_generation_prompt"] = false });
        Assert.Equal(ours.Render(whole).Ids, Fixture.Tokenizer.Encode(training, allowSpecial: true));
        Assert.Throws<InvalidOperationException>(() => MiniJinja.Render(template, new Dictionary<string, object?>
            { ["messages"] = Messages([new ChatMessage("tool", "x")]), ["add_generation_prompt"] = false }));
    }

    /// <summary>An exported folder, broken one way; the import must fail naming the file and the field.</summary>
    [Theory]
    [InlineData("missing-tensor", "model.safetensors: model.layers.1.mlp.down_proj.weight: tensor missing")]
    [InlineData("wrong-shape", "model.safetensors: model.layers.0.self_attn.k_proj.weight: shape [64, 64]")]
    [InlineData("model-type", "config.json: model_type: 'gpt2' is not supported")]
    [InlineData("head-dim", "config.json: head_dim: must be positive and even for rotary encoding (got 15)")]
    [InlineData("bias", "config.json: attention_bias: true is not supported")]
    [InlineData("wordpiece", "tokenizer.json: model.type: 'WordPiece' is not supported")]
    [InlineData("no-tokenizer", "tokenizer.json: file not found")]
    [InlineData("normalizer", "tokenizer.json: normalizer: 'Lowercase' is not supported")]
    [InlineData("sharded-missing-shard", "model-00002-of-00002.safetensors: file not found")]
    public void BrokenFoldersGetOneClearError(string breakage, string expected)
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var hf = ExportHf(tmp, model);
        var weights = Path.Combine(hf, "model.safetensors");
        void EditConfig(Action<JsonObject> edit)
        {
            var c = Json(Path.Combine(hf, "config.json"));
            edit(c);
            File.WriteAllText(Path.Combine(hf, "config.json"), c.ToJsonString());
        }
        switch (breakage)
        {
            case "missing-tensor": RewriteWeights(weights, (name, t) => name.EndsWith("1.mlp.down_proj.weight") ? null : t); break;
            case "wrong-shape": RewriteWeights(weights, (name, t) => name.EndsWith("0.self_attn.k_proj.weight") ? zeros(64, 64) : t); break;
            case "model-type": EditConfig(c => c["model_type"] = "gpt2"); break;
            case "head-dim": EditConfig(c => c["head_dim"] = 15); break;
            case "bias": EditConfig(c => c["attention_bias"] = true); break;
            case "wordpiece":
                var tok = Json(Path.Combine(hf, "tokenizer.json"));
                tok["model"]!["type"] = "WordPiece";
                File.WriteAllText(Path.Combine(hf, "tokenizer.json"), tok.ToJsonString());
                break;
            case "no-tokenizer": File.Delete(Path.Combine(hf, "tokenizer.json")); break;
            case "normalizer":
                var withNormalizer = Json(Path.Combine(hf, "tokenizer.json"));
                withNormalizer["normalizer"] = new JsonObject { ["type"] = "Lowercase" };
                File.WriteAllText(Path.Combine(hf, "tokenizer.json"), withNormalizer.ToJsonString());
                break;
            case "sharded-missing-shard":
                File.Move(weights, Path.Combine(hf, "model-00001-of-00002.safetensors"));
                File.WriteAllText(Path.Combine(hf, HfImporter.IndexFile), new JsonObject
                {
                    ["weight_map"] = new JsonObject
                    {
                        ["model.embed_tokens.weight"] = "model-00001-of-00002.safetensors",
                        ["lm_head.weight"] = "model-00002-of-00002.safetensors",
                    },
                }.ToJsonString());
                break;
        }
        var e = Assert.Throws<SharpLmException>(() => HfImporter.Import(new HfImportOptions(hf, tmp["run"])));
        Assert.Contains(expected, e.Message);
        Assert.False(Directory.Exists(tmp["run"]), "nothing is written for a bad folder");
    }

    [Fact]
    public void ShardedFoldersImport()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: false));
        var hf = ExportHf(tmp, model);
        var weights = Path.Combine(hf, "model.safetensors");
        var all = ReadAll(weights);
        var map = new JsonObject();
        var half = all.Count / 2;
        SafetensorsFile.WriteF32(Path.Combine(hf, "model-00001-of-00002.safetensors"), all.Take(half));
        SafetensorsFile.WriteF32(Path.Combine(hf, "model-00002-of-00002.safetensors"), all.Skip(half));
        for (int i = 0; i < all.Count; i++) map[all[i].Name] = i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(hf, HfImporter.IndexFile), new JsonObject { ["weight_map"] = map }.ToJsonString());
        File.Delete(weights);
        HfImporter.Import(new HfImportOptions(hf, tmp["run"]));
        using var loaded = RunFolder.LoadModel(tmp["run"]);
        using var _ = no_grad();
        var x = tensor(Fixture.Tokens(32).Select(i => (long)i).ToArray()).unsqueeze(0);
        Assert.Equal(Values(model.forward(x)), Values(loaded.Model.forward(x)));
    }

    [Fact]
    public void ForeignTokenizersGetOurChatTokensAsNewRows()
    {
        using var tmp = new TempDir();
        using var model = Fixture.Model(Fixture.Config(MlpKind.SwiGlu, qkNorm: true));
        var hf = ExportHf(tmp, model);
        // Rename the specials as a published model would have its own, with Qwen's NFC normaliser.
        var tokPath = Path.Combine(hf, "tokenizer.json");
        var renamed = JsonNode.Parse(File.ReadAllText(tokPath).Replace("<|bos|>", "<|endoftext|>").Replace("<|user_start|>", "<|im_start|>"))!;
        renamed["normalizer"] = new JsonObject { ["type"] = "NFC" };
        File.WriteAllText(tokPath, renamed.ToJsonString());
        var result = HfImporter.Import(new HfImportOptions(hf, tmp["run"]));
        Assert.Equal([SpecialTokens.Bos, SpecialTokens.UserStart], result.AddedSpecials);
        Assert.False(result.ChatTemplate);
        using var loaded = RunFolder.LoadModel(tmp["run"]);
        Assert.Equal(model.Config.VocabSize + 2, loaded.Config.VocabSize);
        var chat = new ChatTemplate(loaded.Tokenizer); // every chat token exists now, so sft can start from this run
        Assert.Equal(model.Config.VocabSize, chat.RenderForGeneration([new ChatMessage(ChatMessage.User, "hi")])[0]);
    }

    static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    static List<(string Name, Tensor Tensor)> ReadAll(string path) =>
        SafetensorsFile.ReadHeader(path).Select(e => (e.Name, SafetensorsFile.ReadF32(e))).ToList();

    static void RewriteWeights(string path, Func<string, Tensor, Tensor?> change)
    {
        var tensors = ReadAll(path).Select(t => (t.Name, Tensor: change(t.Name, t.Tensor))).Where(t => t.Tensor is not null)
            .Select(t => (t.Name, t.Tensor!)).ToList();
        SafetensorsFile.WriteF32(path, tensors);
    }
}

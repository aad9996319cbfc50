using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.DataTests.Readers;

/// <summary>Every public preference file reads completely; prompt files read from the public GSM8K set.</summary>
public class PreferenceDataTests
{
    [DataTheory]
    [InlineData("en/dpo_en_demo_300.json", 300)]
    [InlineData("en/hh_rlhf_harmless_base_test.jsonl.gz", 2312)]
    [InlineData("en/rasbt_instruction_data_with_preference_1100.json", 1100)]
    [InlineData("zh/dpo_zh_500_medicalgpt.jsonl", 500)]
    [InlineData("zh/dpo_zh_demo_300.json", 300)]
    public void Every_shared_preference_file_reads_completely(string file, int count)
    {
        var pairs = PreferenceReader.Read([SharedData.Path("preference/" + file)]);
        Assert.Equal(count, pairs.Count);
        Assert.All(pairs, p => Assert.Equal(ChatMessage.User, p.Prompt[^1].Role));
    }

    [DataFact]
    public void Gsm8k_train_reads_as_prompts_with_reference_answers()
    {
        var prompts = PromptReader.Read([SharedData.Path("sft/en/gsm8k_train_7473.jsonl.gz")]);
        Assert.Equal(7473, prompts.Count);
        Assert.All(prompts, p => Assert.Contains("####", p.Reference));
    }
}

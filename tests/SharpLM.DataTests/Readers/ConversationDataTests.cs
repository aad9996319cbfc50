using SharpLM.Data;
using SharpLM.Tokenization;

namespace SharpLM.DataTests.Readers;

/// <summary>Every public SFT file reads into valid conversations, record for record.</summary>
public class ConversationDataTests
{
    [DataTheory]
    [InlineData("sft/en/alpaca_selfinstruct_seed_tasks_175.jsonl", 175)]
    [InlineData("sft/en/dolly_hhrlhf_train_small_1000.jsonl", 1000)]
    [InlineData("sft/en/dolly_open_qa_chinkara.jsonl", 3742)]
    [InlineData("sft/en/gsm8k_train_7473.jsonl.gz", 7473)]
    [InlineData("sft/en/rasbt_instruction_data_1100.json", 1100)]
    [InlineData("sft/zh/identity_selfcognition_template.json", 91)]
    [InlineData("sft/zh/oasst1_zh_sft_766.json", 766)]
    public void Every_shared_sft_file_reads_into_valid_conversations(string file, int records)
    {
        var set = ConversationReader.Read(SharedData.Path(file));
        Assert.Equal(records, set.Conversations.Count);
        Assert.Equal(0, set.Skipped);
        foreach (var c in set.Conversations) ChatTemplate.Check(c.Messages, forGeneration: false);
    }

    [DataFact]
    public void Openassistant_history_becomes_earlier_turns_and_alpaca_prompt_template_is_unwrapped()
    {
        var oasst = ConversationReader.Read(SharedData.Path("sft/zh/oasst1_zh_sft_766.json")).Conversations;
        Assert.Contains(oasst, c => c.Messages.Count >= 4);
        var dolly = ConversationReader.Read(SharedData.Path("sft/en/dolly_hhrlhf_train_small_1000.jsonl")).Conversations[0];
        Assert.Equal("what is kangen water?", dolly.Messages[0].Content);
        Assert.EndsWith("dolly_hhrlhf_train_small_1000.jsonl:1", dolly.Source);
    }
}

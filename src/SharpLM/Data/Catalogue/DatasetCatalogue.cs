using SharpLM.Core;

namespace SharpLM.Data.Catalogue;

/// <summary>
/// The public datasets the verbs and <c>eval --task</c> know. Hashes were computed from verbatim copies of the canonical
/// files (../shared/data, whose SOURCES.md gives each origin); a gzipped copy's hash is that of its decompressed bytes, which
/// gzip restores exactly. Files only known as slices or conversions have no hash: they are checked by size and format.
/// </summary>
public static class DatasetCatalogue
{
    const string Gauntlet = "https://raw.githubusercontent.com/mosaicml/llm-foundry/8c8dd48f72168c5d51e2f7b151595892a8fba43d/scripts/eval/local_data/";
    const string Gsm8k = "https://raw.githubusercontent.com/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/";
    const string LlamaFactory = "https://raw.githubusercontent.com/hiyouga/LLaMA-Factory/ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30/data/";
    const string Rasbt = "https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/28c65cdfbc3338e2e040016eea4b7fdf556e4d57/ch07/";
    const string Verbatim = "SHA-256 of a verbatim copy";
    const string Gunzipped = "SHA-256 of the decompressed gzip copy in shared/data";
    const string Unverified = "unverified: no verbatim copy was available offline; size and format are checked";

    public static readonly IReadOnlyList<DatasetEntry> All =
    [
        new("tinyshakespeare", "pretrain/en/tinyshakespeare.txt",
            "https://raw.githubusercontent.com/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", 1_115_394, "public domain", Verbatim),
        new("tinystories_valid", "pretrain/en/TinyStories-valid.txt",
            "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStories-valid.txt",
            null, null, "CDLA-Sharing-1.0", Unverified + " (shared/data holds a slice)", ["pretrain/en/tinystories_valid_slice.txt"]),
        new("gsm8k", "eval/en/gsm8k_test_1319.jsonl", Gsm8k + "test.jsonl",
            "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14", 749_738, "MIT", Verbatim),
        new("gsm8k_train", "sft/en/gsm8k_train_7473.jsonl", Gsm8k + "train.jsonl",
            "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465", 4_166_206, "MIT", Gunzipped, ["sft/en/gsm8k_train_7473.jsonl.gz"]),
        new("arc_easy", "eval/en/arc_easy.jsonl", Gauntlet + "world_knowledge/arc_easy.jsonl",
            "d2d12e59543acf9a5ef6079634a72b30215e36c2fd4236fff3bc855d287b87f5", 636_665, "CC BY-SA 4.0", Verbatim),
        new("boolq", "eval/en/boolq.jsonl", Gauntlet + "reading_comprehension/boolq.jsonl",
            "454ff101e614370bb1807fe7ebbda6fdb57e794b9662cc1ccae211bf1ff626c8", 2_210_395, "CC BY-SA 3.0", Gunzipped, ["eval/en/boolq.jsonl.gz"]),
        new("commonsense_qa", "eval/en/commonsense_qa.jsonl", Gauntlet + "commonsense_reasoning/commonsense_qa.jsonl",
            "2771f63f8127c0725b1f6b0ef2cd2ef6469168ae5875fc8d276b25b4f32c8c1a", 258_861, "MIT", Verbatim),
        new("copa", "eval/en/copa.jsonl", Gauntlet + "commonsense_reasoning/copa.jsonl",
            "595dca44dec54c849490bd403a3e24a29e3b944065783222ebb0eb1a55298846", 14_627, "BSD-2-Clause", Verbatim),
        new("openbook_qa", "eval/en/openbook_qa.jsonl", Gauntlet + "commonsense_reasoning/openbook_qa.jsonl",
            "adb2e5c7f8db810ddad4d6b2bf53dcc86dcc545499f7aafcaf42a8e179476c09", 88_043, "Apache-2.0", Verbatim),
        new("winogrande", "eval/en/winogrande.jsonl", Gauntlet + "language_understanding/winogrande.jsonl",
            "ea1592526f3bfdd0948ed3acb1b4dfa3f83d23698917118688ee1df7f8d4b8d7", 312_369, "CC-BY", Verbatim),
        new("lambada", "eval/en/lambada_openai.jsonl", Gauntlet + "language_understanding/lambada_openai.jsonl",
            "411bfbe5b9054346b6a19299c0242670adbefb9162efd958593cbc0290b8c9dc", 1_895_241, "MIT (original LAMBADA: CC BY 4.0)", Verbatim),
        new("hellaswag", "eval/en/hellaswag_val.jsonl", "https://raw.githubusercontent.com/rowanz/hellaswag/master/data/hellaswag_val.jsonl",
            null, null, "MIT", Unverified + " (shared/data holds the first 1,000 items)", ["eval/en/hellaswag_val_first1000.jsonl"]),
        new("cmrc2018", "eval/zh/cmrc2018_trial.json",
            "https://raw.githubusercontent.com/ymcui/cmrc2018/c0eb1b6ba219847457e6af3180da722bbeb656af/squad-style-data/cmrc2018_trial.json",
            "f3fae95b57da8e03afb2b57467dd221417060ef4d82db13bf22fc88589f3a6f3", 800_221, "CC BY-SA 4.0", Verbatim,
            ["eval/zh/cmrc2018_trial_squad_1002q.json"]),
        new("hh_rlhf", "preference/en/hh_rlhf_harmless_base_test.jsonl.gz",
            "https://raw.githubusercontent.com/anthropics/hh-rlhf/354e5c3cb8960630860dd5774a6ac2a58313bf4d/harmless-base/test.jsonl.gz",
            "ebfaaed21162a4de120ae85366075b34425e2a6303fac59b99555002f7016f03", 742_801, "MIT", Verbatim),
        new("dpo_en_demo", "preference/en/dpo_en_demo_300.json", LlamaFactory + "dpo_en_demo.json",
            "b949be2421cfa62744afcf1b479f95b299d643d1a4c1c97d1341b314a1aa5cb3", 1_575_286, "Apache-2.0", Verbatim),
        new("dpo_zh_demo", "preference/zh/dpo_zh_demo_300.json", LlamaFactory + "dpo_zh_demo.json",
            "9ea7206bc1a45df8b7811d1fc02d5555c65379d05905f343da88f221ff145376", 853_311, "Apache-2.0", Verbatim),
        new("rasbt_preference", "preference/en/rasbt_instruction_data_with_preference_1100.json",
            Rasbt + "04_preference-tuning-with-dpo/instruction-data-with-preference.json",
            "305315abf14f65fa42c01a0877572f832606571c2a7d49f152ac1d758b16756e", 386_968, "Apache-2.0", Verbatim),
        new("rasbt_instructions", "sft/en/rasbt_instruction_data_1100.json", Rasbt + "01_main-chapter-code/instruction-data.json",
            "7e09a9af353722ca15c18bc580f093f9c39d3178335a75177319cb1e1d163944", 203_524, "Apache-2.0", Verbatim),
        new("alpaca_seed_tasks", "sft/en/alpaca_selfinstruct_seed_tasks_175.jsonl",
            "https://raw.githubusercontent.com/tatsu-lab/stanford_alpaca/761dc5bfbdeeffa89b8bff5d038781a4055f796a/seed_tasks.jsonl",
            "7779004fa198fdf27cf70a159363879d8a26c53329e11b436af17b3941875f48", 110_934, "Apache-2.0", Verbatim),
        new("oasst_zh", "sft/zh/oasst1_zh_sft_766.json",
            "https://raw.githubusercontent.com/hiyouga/LLaMA-Factory/3154fec979aba48f54b7afde3740c4990d445a41/data/oaast_sft_zh.json",
            "a583783909c200ae059459813e01b098344d7a0c75fe477b4a779c2cae932121", 1_206_908, "Apache-2.0", Verbatim),
        new("dolly", "sft/en/databricks-dolly-15k.jsonl",
            "https://huggingface.co/datasets/databricks/databricks-dolly-15k/resolve/main/databricks-dolly-15k.jsonl",
            null, null, "CC BY-SA 3.0", Unverified),
    ];

    /// <summary>Datasets people ask for that have no downloadable file the verbs read as is, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotDownloadable = new Dictionary<string, string>
    {
        ["mmlu"] = "MMLU is published as CSV archives (hendrycks/test); convert a split to JSONL {question, choices, answer} and pass the file",
        ["mmlu_dev"] = "MMLU is published as CSV archives (hendrycks/test); convert a split to JSONL {question, choices, answer} and pass the file",
    };

    /// <summary>The entry called <paramref name="name"/> in <paramref name="catalogue"/> (default: <see cref="All"/>).</summary>
    public static DatasetEntry Find(string name, IReadOnlyList<DatasetEntry>? catalogue = null)
    {
        var entries = catalogue ?? All;
        if (entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)) is { } entry) return entry;
        if (NotDownloadable.TryGetValue(name, out var why)) throw new SharpLmException($"{name}: cannot be downloaded: {why}");
        throw new SharpLmException($"{name}: not a known dataset ({string.Join(", ", entries.Select(e => e.Name))})");
    }

    /// <summary>The entry whose name is <paramref name="name"/>, or null.</summary>
    public static DatasetEntry? TryFind(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
}

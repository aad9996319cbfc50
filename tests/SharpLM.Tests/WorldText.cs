using SharpLM.Data.World;

namespace SharpLM.Tests;

/// <summary>Text the project writes itself: the generated bilingual world's pretraining documents (English and Chinese).</summary>
public static class WorldText
{
    /// <summary>About <paramref name="chars"/> characters of generated pretraining text, one document per element.</summary>
    public static string[] Documents(long chars) =>
        new WorldGenerator(new WorldOptions(Seed: 11, PretrainChars: chars)).Pretraining().Select(d => d.Text).ToArray();
}

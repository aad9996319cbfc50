namespace SharpLM.Bench;

/// <summary>Finds ../shared/data (the datasets beside the checkout) by walking up from the working folder.</summary>
public static class SharedData
{
    public static string Path(string relative)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return System.IO.Path.Combine(candidate, relative);
        }
        throw new DirectoryNotFoundException("shared/data not found above the working folder");
    }
}

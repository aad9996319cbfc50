using System.Reflection;

namespace SharpLM.Bench;

/// <summary>A benchmark program: `dotnet run -c Release --project bench/SharpLM.Bench -- NAME [args]`.</summary>
public interface IBenchmark
{
    string Name { get; }
    string Description { get; }
    int Run(string[] args);
}

public static class Program
{
    public static int Main(string[] args)
    {
        // Each benchmark is its own class; they are found by reflection so adding one touches no shared file.
        var benches = Assembly.GetExecutingAssembly().GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
        var chosen = args.Length > 0 ? benches.FirstOrDefault(b => b.Name == args[0]) : null;
        if (chosen is null)
        {
            Console.Error.WriteLine("usage: SharpLM.Bench NAME [args]\n\nbenchmarks:");
            foreach (var b in benches) Console.Error.WriteLine($"  {b.Name,-12} {b.Description}");
            return args.Length == 0 ? 0 : 2;
        }
        return chosen.Run(args[1..]);
    }
}

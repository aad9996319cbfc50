namespace SharpLM.Tests.Cli;

/// <summary>Runs <c>sharplm</c> in-process with stdin/stdout/stderr redirected, as a user's shell pipe would.</summary>
public static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args) => WithInput("", args);

    public static (int Code, string Out, string Err) WithInput(string input, params string[] args)
    {
        var (stdin, stdout, stderr) = (Console.In, Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        try
        {
            Console.SetIn(new StringReader(input));
            Console.SetOut(output);
            Console.SetError(error);
            return (SharpLM.Cli.Program.Main(args), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetIn(stdin);
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}

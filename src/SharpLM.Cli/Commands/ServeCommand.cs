using System.CommandLine;
using SharpLM.Core;
using SharpLM.Serving;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm serve</c>: OpenAI's API, a chat page and an arena over one or more run folders, until Ctrl+C.</summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var models = new Option<string[]>("--model") { Description = "run folder to serve (repeat for the arena: --model A --model B)", Required = true };
        var host = new Option<string>("--host") { Description = "address to listen on (anything but loopback wants --api-key)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "port (0 = any free port)", DefaultValueFactory = _ => 8080 };
        var key = new Option<string?>("--api-key") { Description = "require Authorization: Bearer KEY on every API call" };
        var parallel = new Option<int>("--parallel") { Description = "slots per model generating together (continuous batching)", DefaultValueFactory = _ => 8 };
        var queue = new Option<int>("--queue") { Description = "requests per model that may wait for a slot; beyond them 503", DefaultValueFactory = _ => 64 };
        var feedback = new Option<string>("--feedback") { Description = "preference file the arena appends votes to", DefaultValueFactory = _ => "runs/serve/feedback.jsonl" };
        var cors = new Option<string?>("--cors") { Description = "allow browser calls from this origin (off by default)" };
        var precision = new Option<string>("--precision") { Description = "inference weights: auto, fp32, bf16 or fp16", DefaultValueFactory = _ => "auto" };
        var threads = CommonOptions.Threads();
        var command = new Command("serve", "Serve models over OpenAI's HTTP API with a chat page and an arena for human feedback")
        {
            models, host, port, key, parallel, queue, feedback, cors, precision, threads,
        };
        CliRunner.SetHandler(command, async (parse, ct) =>
        {
            var options = new ServeOptions(parse.GetValue(models) ?? [], parse.GetValue(host)!, parse.GetValue(port),
                parse.GetValue(key), parse.GetValue(parallel), parse.GetValue(queue), parse.GetValue(feedback)!,
                parse.GetValue(cors), parse.GetValue(precision)!).Validate();
            TorchRuntime.Apply(new TorchSettings(parse.GetValue(threads), 1337));
            await using var server = await Server.StartAsync(options, Console.Error.WriteLine);
            Console.Out.WriteLine($"serving {string.Join(", ", server.Models.Select(m => m.Id))} at {server.Url} " +
                                  $"(page: {server.Url}, API: {server.Url}v1, feedback: {server.Arena.Log.Path}); Ctrl+C stops");
            Console.Out.Flush();
            // Ctrl+C or SIGTERM: the web host's own signal handling stops it, and the command's token stops it too.
            await server.WaitForShutdownAsync(ct);
            Console.Error.WriteLine("stopped: in-flight answers ended with an error event; the feedback file is complete");
            return 0;
        });
        return command;
    }
}

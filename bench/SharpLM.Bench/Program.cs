using SharpLM.Bench;

// Benchmarks are wall-clock measurements, not tests: run them on a quiet machine and report the load you saw.
return args.FirstOrDefault() switch
{
    "tokenizer" => TokenizerBenchmark.Run(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: SharpLM.Bench tokenizer [--data DIR] [--vocab-size N]");
    return 2;
}

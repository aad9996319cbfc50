// libtorch's thread count and seed are process-wide, and several tests swap Console.Out to read CLI output:
// test classes run one after another so neither leaks between them (determinism tests compare bits).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

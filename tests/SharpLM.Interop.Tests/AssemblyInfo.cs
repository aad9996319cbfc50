// Test classes run one after another: libtorch's thread count and RNG are process-wide (determinism tests compare bits and
// seed the weights through it), the memory test reads the process RSS, and CLI tests swap Console.In/Out/Error.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

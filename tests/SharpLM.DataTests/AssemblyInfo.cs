// One test class at a time: libtorch's thread count and RNG are process-wide, and CLI tests swap Console.In/Out/Error.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Test classes run one after another: libtorch's thread count and seed are process-wide, and each class starts servers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

using SharpLM.Core;
using SharpLM.Model;
using SharpLM.Training;
using static TorchSharp.torch;

namespace SharpLM.Tests.Runtime;

public class CachingCpuAllocatorTests
{
    // An odd size, so that no other tensor of this test shares its size class.
    const long Elements = 1_000_003;

    [Fact]
    public void A_freed_block_is_handed_back_to_the_next_tensor_of_its_size_and_leases_nest()
    {
        using (var outer = CachingCpuAllocator.Acquire(64L << 20))
        {
            Assert.True(outer.Active, outer.Why);
            using (var a = arange(Elements, dtype: ScalarType.Float32))
            using (var last = a[^1]) Assert.Equal(Elements - 1, last.item<float>());
            var (cached, hits, misses) = CachingCpuAllocator.Stats;
            Assert.True(cached >= Elements * sizeof(float));
            using var b = full(Elements, 2f);
            Assert.Equal((hits + 1, misses), (CachingCpuAllocator.Stats.Hits, CachingCpuAllocator.Stats.Misses));
            using (var sum = b.sum()) Assert.Equal(2.0 * Elements, sum.item<float>(), 1e-3 * Elements);
            using (var inner = CachingCpuAllocator.Acquire()) Assert.True(inner.Active);
            Assert.True(CachingCpuAllocator.Installed);                // the inner lease leaves the outer one in place
            using var c = b.clone();                                   // Allocator::clone goes through copy_data
            using (var same = c.eq(b).all()) Assert.True(same.item<bool>());
        }
        Assert.False(CachingCpuAllocator.Installed);
        using var after = ones(Elements);                              // libtorch's own allocator again
        using var total = after.sum();
        Assert.Equal(Elements, total.item<float>(), 1.0);
    }

    [Fact]
    public void Training_steps_give_the_same_losses_with_and_without_it_and_reuse_blocks()
    {
        double[] Train(bool caching)
        {
            using var lease = caching ? CachingCpuAllocator.Acquire() : null;
            manual_seed(7);
            using var model = new Gpt(
                new GptConfig(VocabSize: 64, ContextLength: 32, Depth: 2, Width: 64, Heads: 2, KvHeads: 2));
            using var optimizer = OptimizerFactory.AdamW(model, new AdamWSettings(3e-3));
            using var runner = new StepRunner(model, optimizer, new LrSchedule(3e-3, 3e-4, 1, 6));
            using var x = randint(0, 64, [8, 32], generator: new Generator(11));
            using var y = randint(0, 64, [8, 32], generator: new Generator(12));
            var losses = new double[6];
            for (int s = 0; s < losses.Length; s++)
                losses[s] = runner.Step(s, 1, _ => model.Loss(x, y)).Loss;
            if (caching) Assert.True(CachingCpuAllocator.Stats.Hits > 0);
            return losses;
        }
        Assert.Equal(Train(caching: false), Train(caching: true));
    }
}

using SharpLM.Core;

namespace SharpLM.Tests.Runtime;

public class NativeAllocatorTests
{
    [Fact]
    public void Glibc_accepts_keeping_freed_memory_and_a_second_call_is_harmless()
    {
        if (!OperatingSystem.IsLinux()) return; // mallopt is glibc's; elsewhere the call reports false and changes nothing
        Assert.True(NativeAllocator.KeepFreedMemory());
        Assert.True(NativeAllocator.KeepFreedMemory());
    }
}

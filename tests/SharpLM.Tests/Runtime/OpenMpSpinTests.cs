using SharpLM.Core;

namespace SharpLM.Tests.Runtime;

public class OpenMpSpinTests
{
    [Fact]
    public void The_spin_is_limited_only_when_the_user_chose_no_wait_policy()
    {
        Assert.Equal(OpenMpSpin.Loops, OpenMpSpin.Setting(_ => null));
        Assert.Equal(OpenMpSpin.Loops, OpenMpSpin.Setting(name => name == "OMP_NUM_THREADS" ? "2" : ""));
        Assert.Null(OpenMpSpin.Setting(name => name == "OMP_WAIT_POLICY" ? "active" : null));
        Assert.Null(OpenMpSpin.Setting(name => name == "GOMP_SPINCOUNT" ? "infinite" : null));
    }
}

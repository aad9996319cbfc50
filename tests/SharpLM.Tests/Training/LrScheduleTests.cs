using SharpLM.Training;

namespace SharpLM.Tests.Training;

public class LrScheduleTests
{
    [Fact]
    public void Cosine_warms_up_linearly_then_falls_to_the_minimum()
    {
        var s = new LrSchedule(MaxLr: 1e-3, MinLr: 1e-4, WarmupSteps: 9, DecaySteps: 109);
        Assert.Equal(1e-4, s.At(0), 12);           // (0+1)/(9+1) of the peak
        Assert.Equal(1e-3, s.At(9), 12);           // warmup done
        Assert.Equal(5.5e-4, s.At(59), 12);        // half-way down the cosine: the mean of peak and floor
        Assert.Equal(1e-4, s.At(109), 12);
        Assert.Equal(1e-4, s.At(500), 12);
    }

    [Fact]
    public void Warmup_stable_decay_holds_the_peak_then_falls_linearly()
    {
        var s = new LrSchedule(1e-3, 0, WarmupSteps: 0, DecaySteps: 100, ScheduleKind.WarmupStableDecay, DecayFraction: 0.2);
        Assert.Equal(1e-3, s.At(0), 12);
        Assert.Equal(1e-3, s.At(80), 12);
        Assert.Equal(5e-4, s.At(90), 12);
        Assert.Equal(0, s.At(100), 12);
    }

    [Fact]
    public void Clock_step_follows_the_clock_when_it_is_ahead_and_the_step_otherwise()
    {
        Assert.Equal(10, LrSchedule.ClockStep(10, 100, elapsed: 50, budget: null));   // no time limit: the step
        Assert.Equal(50, LrSchedule.ClockStep(10, 100, elapsed: 50, budget: 100));    // half the time gone: half the schedule
        Assert.Equal(70, LrSchedule.ClockStep(70, 100, elapsed: 50, budget: 100));    // steps ahead of the clock: the step
        Assert.Equal(99, LrSchedule.ClockStep(10, 100, elapsed: 130, budget: 100));   // past the limit: the last step, no further
        var s = new LrSchedule(1e-3, 1e-4, WarmupSteps: 0, DecaySteps: 100);
        Assert.Equal(1e-4, s.At(LrSchedule.ClockStep(40, 100, elapsed: 100, budget: 100)), 6); // the rate reaches its floor on time
    }
}

using FsCheck;
using FsCheck.Fluent;

namespace FastNtp.LoadTest.Tests;

public class RateScheduleTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Fixed_IsOneStep()
    {
        IReadOnlyList<LoadStep> steps = RateSchedule.Fixed(50_000, TimeSpan.FromSeconds(3));
        Assert.Equal([new LoadStep(0, 50_000, TimeSpan.FromSeconds(3))], steps);
    }

    [Fact]
    public void Stepped_HitsExactPowers()
    {
        IReadOnlyList<LoadStep> steps = RateSchedule.Stepped(1_000, 10, 100_000, Second);
        Assert.Equal([1_000.0, 10_000.0, 100_000.0], steps.Select(s => s.Rate));
        Assert.Equal([0, 1, 2], steps.Select(s => s.Index));
    }

    [Fact]
    public void Stepped_EndsAtMaximumWhenTheProgressionJumpsOverIt()
    {
        IReadOnlyList<LoadStep> steps = RateSchedule.Stepped(1_000, 2, 5_000, Second);
        Assert.Equal([1_000.0, 2_000.0, 4_000.0, 5_000.0], steps.Select(s => s.Rate));
    }

    [Fact]
    public void SteppedWithStartEqualToMaximum_IsOneStep() =>
        Assert.Single(RateSchedule.Stepped(7_000, 1.5, 7_000, Second));

    [Theory]
    [InlineData(0, 2, 10)]
    [InlineData(-5, 2, 10)]
    [InlineData(10, 1, 100)]
    [InlineData(10, 0.5, 100)]
    [InlineData(100, 2, 10)]
    [InlineData(double.NaN, 2, 10)]
    public void Stepped_RejectsBadArguments(double start, double mult, double max) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RateSchedule.Stepped(start, mult, max, Second));

    [Fact]
    public void Stepped_RejectsRunawaySchedules() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RateSchedule.Stepped(1, 1.0001, 1e9, Second));

    [Fact]
    public void Fixed_RejectsZeroDuration() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RateSchedule.Fixed(100, TimeSpan.Zero));

    [Fact]
    public void Stepped_IsIncreasingBoundedAndEndsAtMaximum() =>
        Prop.ForAll(
            Arb.From(Gen.Choose(1, 100_000)),
            Arb.From(Gen.Choose(11, 40)),
            Arb.From(Gen.Choose(1, 1000)),
            (start, multTenths, factor) =>
            {
                double mult = multTenths / 10.0;
                double max = (double)start * factor;
                IReadOnlyList<LoadStep> steps = RateSchedule.Stepped(start, mult, max, Second);
                bool ok = steps[0].Rate == start && Math.Abs(steps[^1].Rate - max) < 1e-6 * max;
                for (int i = 1; i < steps.Count; i++)
                    ok &= steps[i].Rate > steps[i - 1].Rate && steps[i].Rate <= steps[i - 1].Rate * mult * (1 + 1e-9) && steps[i].Index == i;
                return ok;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void TotalTime_AddsDrainPerStep() =>
        Assert.Equal(TimeSpan.FromSeconds(3 * 2.5),
            RateSchedule.TotalTime(RateSchedule.Stepped(1, 2, 4, TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(0.5)));
}

public class PacerTests
{
    private const long Frequency = 1_000_000_000;

    [Fact]
    public void DueBy_FollowsTheRateExactly()
    {
        var pacer = new Pacer(50_000, Frequency);
        Assert.Equal(0, pacer.DueBy(0));
        Assert.Equal(0, pacer.DueBy(-5));
        Assert.Equal(50_000, pacer.DueBy(Frequency));
        Assert.Equal(125_000, pacer.DueBy(Frequency * 5 / 2));
        Assert.Equal(0, pacer.DueBy(19_999));
        Assert.Equal(1, pacer.DueBy(20_000));
    }

    [Fact]
    public void ToSend_IsCappedByTheBatch()
    {
        var pacer = new Pacer(1_000_000, Frequency);
        Assert.Equal(64, pacer.ToSend(Frequency / 1000, alreadySent: 0, batch: 64, maxBacklog: 10_000, out long skipped));
        Assert.Equal(0, skipped);
        Assert.Equal(0, pacer.ToSend(Frequency / 1000, alreadySent: 1000, batch: 64, maxBacklog: 10_000, out _));
    }

    [Fact]
    public void ToSend_SkipsWhatIsTooFarBehind()
    {
        var pacer = new Pacer(1_000_000, Frequency);
        // One second in, nothing sent: 1,000,000 due, only 10,000 may stay due.
        Assert.Equal(64, pacer.ToSend(Frequency, alreadySent: 0, batch: 64, maxBacklog: 10_000, out long skipped));
        Assert.Equal(990_000, skipped);
    }

    [Fact]
    public void SendingWhatIsDue_SumsToTheRate() =>
        Prop.ForAll(
            Arb.From(Gen.Choose(1, 2_000_000)),
            Arb.From(Gen.Choose(1, 5000)),
            (rate, stepMicros) =>
            {
                // Any loop cadence ends a one-second step having paced exactly rate requests (minus under one).
                var pacer = new Pacer(rate, Frequency);
                long sent = 0;
                for (long t = 0; t <= Frequency; t += stepMicros * 1000L)
                {
                    int n;
                    while ((n = pacer.ToSend(t, sent, 64, long.MaxValue, out _)) > 0) sent += n;
                }

                int last;
                while ((last = pacer.ToSend(Frequency, sent, 64, long.MaxValue, out _)) > 0) sent += last;
                return sent == rate;
            }).QuickCheckThrowOnFailure();
}

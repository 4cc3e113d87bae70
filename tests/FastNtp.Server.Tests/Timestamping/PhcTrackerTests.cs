using FastNtp.Interop.Timestamping;
using FastNtp.Server.Timestamping;

namespace FastNtp.Server.Tests.Timestamping;

/// <summary>The PHC-to-system arithmetic on synthetic readings: no PHC on this machine, and none needed for the maths.</summary>
public class PhcTrackerTests
{
    private const long Second = 1_000_000_000;
    private const long SystemStart = 1_795_000_000 * Second; // 2026
    private const long TaiOffset = 37 * Second;

    /// <summary>A PHC at <paramref name="phcAtStart"/> when the system clock is at <see cref="SystemStart"/>, running <paramref name="ppm"/> fast.</summary>
    private static long Phc(long system, long phcAtStart, double ppm) => phcAtStart + (system - SystemStart) + (long)Math.Round((system - SystemStart) * ppm * 1e-6);

    private static PhcSample Sample(long system, long phcAtStart, double ppm = 0, long bracket = 1000) => new(system, Phc(system, phcAtStart, ppm), bracket);

    [Fact]
    public void NoSamples_NoConversion()
    {
        var tracker = new PhcTracker();
        Assert.Null(tracker.Current);
        Assert.Null(tracker.Add(Sample(SystemStart, SystemStart + TaiOffset)));
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void ConstantOffset_ConvertsExactly()
    {
        var tracker = new PhcTracker();
        tracker.Add(Sample(SystemStart, SystemStart + TaiOffset));
        PhcConversion? line = tracker.Add(Sample(SystemStart + Second, SystemStart + TaiOffset));

        Assert.NotNull(line);
        Assert.Equal(TaiOffset, line.OffsetNanoseconds);
        Assert.Equal(1.0, line.Rate, 15);
        long system = SystemStart + Second + 123_456_789;
        Assert.True(line.TryToSystem(system + TaiOffset, out long converted));
        Assert.Equal(system, converted);
    }

    [Theory]
    [InlineData(50.0)]
    [InlineData(-120.0)]
    [InlineData(900.0)]
    public void Drift_IsFollowedToTheNanosecond(double ppm)
    {
        var tracker = new PhcTracker();
        for (int i = 0; i <= 10; i++) tracker.Add(Sample(SystemStart + i * Second, SystemStart + TaiOffset, ppm));

        PhcConversion line = tracker.Current!;
        Assert.Equal(ppm, line.PhcFrequencyPpm, 3);
        // Half a second past the last sample, and half a second before it (a stamp older than the sample).
        foreach (long system in new[] { SystemStart + 10 * Second + Second / 2, SystemStart + 9 * Second + Second / 2 })
        {
            Assert.True(line.TryToSystem(Phc(system, SystemStart + TaiOffset, ppm), out long converted));
            Assert.InRange(converted - system, -1, 1);
        }
    }

    [Fact]
    public void PhcCountingFromBoot_LosesNoPrecisionFarFromTheSystemClock()
    {
        // A PHC nobody set counts from the NIC's reset: about 1.8e18 ns behind the system clock, across second boundaries.
        const long phcAtStart = 4_321 * Second + 999_999_999;
        var tracker = new PhcTracker();
        for (int i = 0; i < 3; i++) tracker.Add(Sample(SystemStart + i * Second + 7, phcAtStart, 10.0));

        long system = SystemStart + 2 * Second + 999_999_990;
        Assert.True(tracker.Current!.TryToSystem(Phc(system, phcAtStart, 10.0), out long converted));
        Assert.InRange(converted - system, -1, 1);
        Assert.True(tracker.Current.OffsetNanoseconds < -1_700_000_000 * Second);
    }

    [Fact]
    public void NoisySamples_AreAveragedByTheFit()
    {
        var tracker = new PhcTracker();
        for (int i = 0; i < PhcTracker.Capacity; i++)
        {
            long noise = i % 2 == 0 ? 300 : -300;
            long system = SystemStart + i * Second;
            tracker.Add(new PhcSample(system + noise, Phc(system, SystemStart, 20.0), 1000));
        }

        long at = SystemStart + 7 * Second + Second / 4;
        Assert.True(tracker.Current!.TryToSystem(Phc(at, SystemStart, 20.0), out long converted));
        Assert.InRange(converted - at, -200, 200);
    }

    [Fact]
    public void OldSamples_LeaveTheFitOnceTheRingWraps()
    {
        // 20 s at +100 ppm, then the PHC's servo changes its rate to -100 ppm: after Capacity samples only the new rate remains.
        var tracker = new PhcTracker();
        long system = SystemStart;
        long phc = SystemStart;
        for (int i = 0; i < 20 + PhcTracker.Capacity; i++)
        {
            tracker.Add(new PhcSample(system, phc, 500));
            double ppm = i < 20 ? 100 : -100;
            system += Second;
            phc += Second + (long)(Second * ppm * 1e-6);
        }

        Assert.Equal(-100, tracker.Current!.PhcFrequencyPpm, 3);
        Assert.Equal(PhcTracker.Capacity, tracker.Count);
    }

    [Fact]
    public void Step_RestartsTheHistory()
    {
        var tracker = new PhcTracker();
        for (int i = 0; i < 4; i++) tracker.Add(Sample(SystemStart + i * Second, SystemStart));
        Assert.NotNull(tracker.Current);

        // The PHC jumps 5 ms (a servo stepped it): the old line would misplace every stamp by 5 ms.
        Assert.Null(tracker.Add(Sample(SystemStart + 4 * Second, SystemStart + 5_000_000)));
        Assert.Equal(1, tracker.Count);
        PhcConversion? line = tracker.Add(Sample(SystemStart + 5 * Second, SystemStart + 5_000_000));
        Assert.Equal(5_000_000, line!.OffsetNanoseconds);
    }

    [Fact]
    public void SmallDeviation_IsASampleNotAStep()
    {
        var tracker = new PhcTracker();
        for (int i = 0; i < 4; i++) tracker.Add(Sample(SystemStart + i * Second, SystemStart));
        Assert.NotNull(tracker.Add(Sample(SystemStart + 4 * Second, SystemStart + PhcTracker.StepNanoseconds / 2)));
        Assert.Equal(5, tracker.Count);
    }

    [Theory]
    [InlineData(0, -1)]
    [InlineData(-1, 0)]
    [InlineData(-5, 10)]
    public void ClockGoingBackwards_RestartsTheHistory(long systemDelta, long phcDelta)
    {
        var tracker = new PhcTracker();
        tracker.Add(new PhcSample(SystemStart, SystemStart, 100));
        tracker.Add(new PhcSample(SystemStart + Second, SystemStart + Second, 100));

        Assert.Null(tracker.Add(new PhcSample(SystemStart + Second + systemDelta, SystemStart + Second + phcDelta, 100)));
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void InsaneRate_GivesNoConversion()
    {
        var tracker = new PhcTracker();
        tracker.Add(Sample(SystemStart, SystemStart));
        Assert.Null(tracker.Add(Sample(SystemStart + Second / 1000, SystemStart, 5000.0)));
        Assert.Null(tracker.Current);
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void Reset_ForgetsTheLine()
    {
        var tracker = new PhcTracker();
        tracker.Add(Sample(SystemStart, SystemStart));
        tracker.Add(Sample(SystemStart + Second, SystemStart));
        tracker.Reset();
        Assert.Null(tracker.Current);
        Assert.Null(tracker.Add(Sample(SystemStart + 2 * Second, SystemStart)));
    }

    [Fact]
    public void Conversion_RefusesStampsFarFromItsLastSample()
    {
        var line = new PhcConversion(1_000 * Second, SystemStart, 1.0);
        Assert.True(line.TryToSystem(1_000 * Second + PhcConversion.MaxExtrapolationNanoseconds, out _));
        Assert.False(line.TryToSystem(1_000 * Second + PhcConversion.MaxExtrapolationNanoseconds + 1, out _));
        Assert.False(line.TryToSystem(1_000 * Second - PhcConversion.MaxExtrapolationNanoseconds - 1, out _));
        Assert.False(line.TryToSystem(long.MinValue, out _));
        Assert.False(line.TryToSystem(long.MaxValue, out long system));
        Assert.Equal(0, system);
    }

    [Fact]
    public void Pick_TakesTheShortestBracketAndItsMiddle()
    {
        PhcReading[] readings =
        [
            new(SystemStart, 10 * Second, SystemStart + 3000),
            new(SystemStart + 5000, 10 * Second + 5000, SystemStart + 5800),
            new(SystemStart + 9000, 10 * Second + 9500, SystemStart + 10000),
        ];

        Assert.True(PhcSample.TryPick(readings, out PhcSample sample));
        Assert.Equal(new PhcSample(SystemStart + 5400, 10 * Second + 5000, 800), sample);
    }

    [Fact]
    public void Pick_RejectsSteppedAndPreemptedReadings()
    {
        PhcReading[] bad =
        [
            new(SystemStart, 10 * Second, SystemStart - 1), // the system clock stepped back during the read
            new(SystemStart, 10 * Second, SystemStart + PhcSample.MaxBracketNanoseconds + 1), // preempted
        ];
        Assert.False(PhcSample.TryPick(bad, out _));
        Assert.False(PhcSample.TryPick([], out _));

        Assert.True(PhcSample.TryPick([.. bad, new(SystemStart, 10 * Second, SystemStart)], out PhcSample precise));
        Assert.Equal(0, precise.BracketNanoseconds);
    }
}

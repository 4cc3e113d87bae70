using FastNtp.Protocol.Leap;

namespace FastNtp.Protocol.Tests.Leap;

public class LeapSmearTests
{
    private const long Day = 86_400;

    // 1 January 2027 00:00:00 UTC, a leap-seconds.list instant (the first second after the leap).
    private static readonly NtpTimestamp Leap = NtpTimestamp.FromParts(4_007_750_400, 0);
    private static readonly NtpDuration Window = NtpDuration.FromSeconds(Day);
    private static readonly NtpDuration OneSecond = NtpDuration.FromSeconds(1);

    private static LeapSmear Smear(int direction, bool pastLeap = false) => new(Leap, direction, Window, pastLeap);

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Window_IsCentredOnTheLeapNoonToNoon(int direction)
    {
        Assert.Equal(Leap - NtpDuration.FromSeconds(Day / 2), Smear(direction).Start);
        Assert.Equal(Leap + NtpDuration.FromSeconds(Day / 2), Smear(direction).End);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Offset_IsExactlyZeroUpToTheStartAndExactlyTheLeapFromTheEnd(int direction)
    {
        LeapSmear smear = Smear(direction);
        NtpTimestamp endLeapFree = smear.Start + Window + new NtpDuration(direction * OneSecond.Raw);

        Assert.Equal(NtpDuration.Zero, smear.OffsetAt(smear.Start - OneSecond));
        Assert.Equal(NtpDuration.Zero, smear.OffsetAt(smear.Start));
        Assert.NotEqual(NtpDuration.Zero, smear.OffsetAt(smear.Start + new NtpDuration(1_000_000)));
        Assert.Equal(new NtpDuration(-direction * OneSecond.Raw), smear.OffsetAt(endLeapFree));
        Assert.Equal(new NtpDuration(-direction * OneSecond.Raw), smear.OffsetAt(endLeapFree + NtpDuration.FromSeconds(3600)));
        Assert.NotEqual(new NtpDuration(-direction * OneSecond.Raw), smear.OffsetAt(endLeapFree - new NtpDuration(1_000_000)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Offset_FallsByTheConfiguredSlopeEverySecondOfTheWindowWithoutAStep(int direction)
    {
        LeapSmear smear = Smear(direction);
        // Per second of the leap-free scale the offset moves by 1 / (window ± 1 s): Google's 1/86401 for an insert.
        long duration = Window.Raw + direction * OneSecond.Raw;
        long slope = (long)((Int128)OneSecond.Raw * OneSecond.Raw / duration);
        NtpDuration previous = smear.OffsetAt(smear.Start);
        for (long second = 1; second <= Day + direction; second++)
        {
            NtpDuration offset = smear.OffsetAt(smear.Start + new NtpDuration(second * OneSecond.Raw));
            long expected = (long)(-direction * (Int128)(second * OneSecond.Raw) * OneSecond.Raw / duration);
            Assert.Equal(expected, offset.Raw);
            long step = Math.Abs((offset - previous).Raw);
            Assert.InRange(step, slope, slope + 1);
            previous = offset;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Serve_IsTheSystemTimeExactlyOutsideTheWindowAndEndsExactlyOnTime(int direction)
    {
        LeapSmear before = Smear(direction), after = Smear(direction, pastLeap: true);

        Assert.Equal(before.Start - OneSecond, before.Serve(before.Start - OneSecond));
        Assert.Equal(before.Start, before.Serve(before.Start));
        Assert.Equal(after.End, after.Serve(after.End));
        Assert.Equal(before.End, before.Serve(before.End));
        Assert.Equal(after.End + OneSecond, after.Serve(after.End + OneSecond));
    }

    [Fact]
    public void Serve_RunsOnWithoutAStepAsTheKernelRepeatsTheInsertedSecond()
    {
        // The system clock reads UTC: at the leap it goes back one second (TIME_OOP), which the kernel's state reports.
        AssertSmoothAcrossTheLeap(direction: 1, elapsed =>
        {
            NtpTimestamp start = Leap - NtpDuration.FromSeconds(Day / 2);
            NtpTimestamp firstPass = start + elapsed;
            bool repeated = firstPass.CompareTo(Leap) >= 0;
            return (repeated ? firstPass - OneSecond : firstPass, repeated);
        });
    }

    [Fact]
    public void Serve_RunsOnWithoutAStepAsTheKernelSkipsTheDeletedSecond()
    {
        AssertSmoothAcrossTheLeap(direction: -1, elapsed =>
        {
            NtpTimestamp start = Leap - NtpDuration.FromSeconds(Day / 2);
            NtpTimestamp leapFree = start + elapsed;
            bool skipped = leapFree.CompareTo(Leap - OneSecond) >= 0;
            return (skipped ? leapFree + OneSecond : leapFree, skipped);
        });
    }

    /// <summary>
    /// Walks real (SI) time from before the window to after it, 0.25 s at a time and 1 ms at a time around the
    /// leap: served time must advance by exactly the configured rate at every step (no step at all).
    /// </summary>
    private static void AssertSmoothAcrossTheLeap(int direction, Func<NtpDuration, (NtpTimestamp System, bool PastLeap)> systemClock)
    {
        long duration = Window.Raw + direction * OneSecond.Raw;
        NtpDuration quarter = NtpDuration.FromSeconds(0.25), millisecond = NtpDuration.FromMilliseconds(1);
        var elapsed = NtpDuration.FromSeconds(-10);
        NtpTimestamp? previous = null;
        NtpDuration previousElapsed = elapsed;
        var end = NtpDuration.FromSeconds(Day + direction + 10);
        var leapAt = NtpDuration.FromSeconds(Day / 2);
        while (elapsed <= end)
        {
            (NtpTimestamp system, bool pastLeap) = systemClock(elapsed);
            NtpTimestamp served = new LeapSmear(Leap, direction, Window, pastLeap).Serve(system);
            if (previous is { } p)
            {
                long realStep = (elapsed - previousElapsed).Raw;
                bool inside = elapsed.Raw > 0 && previousElapsed.Raw < duration;
                long expected = inside ? (long)((Int128)realStep * Window.Raw / duration) : realStep;
                // Piecewise: a step that crosses a window edge mixes the two rates.
                if (inside && (previousElapsed.Raw < 0 || elapsed.Raw > duration)) expected = (served - p).Raw;
                Assert.InRange((served - p).Raw, expected - 2, expected + 2);
            }

            previous = served;
            previousElapsed = elapsed;
            bool nearLeap = Math.Abs((elapsed - leapAt).TotalSeconds) < 2;
            elapsed += nearLeap ? millisecond : quarter;
        }
    }
}

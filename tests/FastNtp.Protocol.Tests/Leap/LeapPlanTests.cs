using FastNtp.Protocol.Leap;
using FastNtp.Tests.Shared;

namespace FastNtp.Protocol.Tests.Leap;

public sealed class LeapPlanTests : IDisposable
{
    private const long Day = 86_400;
    // 1 January 2027 00:00:00 UTC as NTP seconds, and as Unix seconds.
    private const long LeapNtp = 4_007_750_400;
    private const long Leap = LeapNtp - NtpTimestamp.UnixEpochOffsetSeconds;
    private const long Expires = LeapNtp + 180 * Day;

    private readonly LeapSecondFiles _files = new();

    public void Dispose() => _files.Dispose();

    private LeapPlan Plan(int taiOffsetAfter = 38, NtpDuration? smear = null)
    {
        LeapFileResult result = LeapSecondList.TryParse(_files.WithNextLeap(LeapNtp, taiOffsetAfter, Expires), out LeapSecondList? list);
        Assert.True(result.IsValid, result.ToString());
        return new LeapPlan(list!, smear);
    }

    private static long At(long unixSeconds) => unixSeconds * 1_000_000_000;

    [Fact]
    public void InsertedSecond_IsAnnouncedFromMidnightOfTheLastDayAndNotBefore()
    {
        LeapPlan plan = Plan();

        LeapAnnouncement dayBefore = plan.At(At(Leap - Day) - 1, false);
        Assert.Equal(LeapIndicator.NoWarning, dayBefore.Scheduled);
        Assert.Equal(LeapIndicator.NoWarning, dayBefore.Announced);
        foreach (long t in new[] { At(Leap - Day), At(Leap - 1) + 999_999_999 })
        {
            LeapAnnouncement lastDay = plan.At(t, false);
            Assert.Equal(LeapIndicator.InsertSecond, lastDay.Scheduled);
            Assert.Equal(LeapIndicator.InsertSecond, lastDay.Announced);
            Assert.Equal(37, lastDay.TaiOffset);
        }

        LeapAnnouncement after = plan.At(At(Leap), false);
        Assert.Equal(LeapIndicator.NoWarning, after.Announced);
        Assert.Equal(38, after.TaiOffset);
    }

    [Fact]
    public void DeletedSecond_IsAnnouncedAsADeletion()
    {
        LeapAnnouncement lastDay = Plan(taiOffsetAfter: 36).At(At(Leap - 10), false);

        Assert.Equal(LeapIndicator.DeleteSecond, lastDay.Announced);
        Assert.Equal(36, Plan(taiOffsetAfter: 36).At(At(Leap), false).TaiOffset);
    }

    [Fact]
    public void UnsmearedLeap_KeepsTheDriverOutFromSecondsBeforeToSecondsAfter()
    {
        LeapPlan plan = Plan();
        long margin = LeapPlan.DriverMarginSeconds;

        Assert.False(plan.At(At(Leap - margin - 1), false).InLeapWindow);
        Assert.True(plan.At(At(Leap - margin), false).InLeapWindow);
        Assert.True(plan.At(At(Leap + margin), false).InLeapWindow);
        Assert.False(plan.At(At(Leap + margin + 1), false).InLeapWindow);
        Assert.Null(plan.At(At(Leap), false).Smear);
    }

    [Fact]
    public void Smear_ReplacesTheAnnouncementAndIsCarriedThroughItsWindow()
    {
        LeapPlan plan = Plan(smear: NtpDuration.FromSeconds(Day));
        long edge = Day / 2 + 1 + LeapPlan.DriverMarginSeconds;

        LeapAnnouncement lastDay = plan.At(At(Leap - Day / 2 - 60), false);
        Assert.Equal(LeapIndicator.InsertSecond, lastDay.Scheduled);
        Assert.Equal(LeapIndicator.NoWarning, lastDay.Announced);

        Assert.Null(plan.At(At(Leap - edge - 1), false).Smear);
        Assert.False(plan.At(At(Leap - edge - 1), false).InLeapWindow);
        foreach (long t in new[] { Leap - edge, Leap - Day / 2, Leap, Leap + Day / 2, Leap + edge })
        {
            LeapAnnouncement a = plan.At(At(t), true);
            Assert.Equal(new LeapSmear(NtpTimestamp.FromParts((uint)LeapNtp, 0), 1, NtpDuration.FromSeconds(Day), true), a.Smear);
            Assert.True(a.InLeapWindow);
            Assert.Equal(LeapIndicator.NoWarning, a.Announced);
        }

        Assert.Null(plan.At(At(Leap + edge + 1), false).Smear);
    }

    [Fact]
    public void Expiry_WarnsFourWeeksAheadAndExpiresOnTime()
    {
        LeapPlan plan = Plan();
        long expires = Expires - NtpTimestamp.UnixEpochOffsetSeconds;
        long warning = (long)LeapPlan.ExpiryWarning.TotalSeconds;

        Assert.False(plan.ExpiresSoon(expires - warning - 1));
        Assert.True(plan.ExpiresSoon(expires - warning));
        Assert.False(plan.IsExpired(expires - 1));
        Assert.True(plan.IsExpired(expires));
    }

    [Fact]
    public void ExpiredFile_LeavesTheIndicatorToUpstreamButStillGivesTheOffset()
    {
        LeapAnnouncement a = Plan().At(At(Expires - NtpTimestamp.UnixEpochOffsetSeconds), false);

        Assert.Null(a.Announced);
        Assert.Equal(38, a.TaiOffset);
        ServerSnapshot upstream = ServerSnapshot.LocalClock(2, -20, NtpTimestamp.FromParts(5, 0)) with { Leap = LeapIndicator.InsertSecond };
        Assert.Equal(LeapIndicator.InsertSecond, a.ApplyTo(upstream).Leap);
    }

    [Fact]
    public void Announcement_OverridesUpstreamButNotTheAlarm()
    {
        LeapAnnouncement lastDay = Plan().At(At(Leap - 10), false);
        var upstream = ServerSnapshot.LocalClock(2, -20, NtpTimestamp.FromParts(5, 0));

        ServerSnapshot applied = lastDay.ApplyTo(upstream);
        Assert.Equal(LeapIndicator.InsertSecond, applied.Leap);
        Assert.Equal(37, applied.TaiOffset);
        Assert.True(applied.InLeapWindow);
        Assert.Equal(LeapIndicator.Unsynchronized, lastDay.ApplyTo(ServerSnapshot.Unsynchronized(-20)).Leap);
    }

    [Fact]
    public void TzdataFile_AnnouncesNothingAndGivesTheCurrentOffset()
    {
        Assert.True(LeapSecondList.TryParse(_files.OriginalText, out LeapSecondList? list).IsValid);
        var plan = new LeapPlan(list!, null);
        long lastUpdate = list!.LastUpdateNtpSeconds!.Value - NtpTimestamp.UnixEpochOffsetSeconds;

        LeapAnnouncement a = plan.At(At(lastUpdate), false);
        Assert.Equal(LeapIndicator.NoWarning, a.Announced);
        Assert.Equal(37, a.TaiOffset);
        Assert.False(a.InLeapWindow);
    }
}

namespace FastNtp.Protocol.Tests.Server;

public class ServerSnapshotTests
{
    private static readonly NtpTimestamp Reference = NtpTimestamp.FromParts(0xEA04_E300, 0); // 2024-06-01T00:00:00Z

    private static ServerSnapshot Synced(NtpDuration rootDispersion, NtpTimestamp referenceTime) => new()
    {
        Leap = LeapIndicator.NoWarning,
        Stratum = 2,
        Precision = -20,
        RootDelay = NtpDuration.FromMilliseconds(10),
        RootDispersion = rootDispersion,
        ReferenceId = ReferenceId.FromAscii("GPS"),
        ReferenceTime = referenceTime,
    };

    [Fact]
    public void Unsynchronized_AdvertisesAlarmAndStratum16()
    {
        var s = ServerSnapshot.Unsynchronized(-23);

        Assert.Equal(LeapIndicator.Unsynchronized, s.Leap);
        Assert.Equal(ServerSnapshot.UnsynchronizedStratum, s.Stratum);
        Assert.Equal(-23, s.Precision);
        Assert.Equal(ReferenceId.Initializing, s.ReferenceId);
        Assert.Equal(NtpTimestamp.Zero, s.ReferenceTime);
        Assert.Equal(NtpDuration.Zero, s.RootDelay);
        Assert.False(s.IsSynchronized);
    }

    [Fact]
    public void LocalClock_IsSynchronizedAtItsStratumWithLocl()
    {
        var s = ServerSnapshot.LocalClock(10, -20, Reference);

        Assert.Equal(LeapIndicator.NoWarning, s.Leap);
        Assert.Equal(10, s.Stratum);
        Assert.Equal(-20, s.Precision);
        Assert.Equal(ReferenceId.Local, s.ReferenceId);
        Assert.Equal(Reference, s.ReferenceTime);
        Assert.True(s.IsSynchronized);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(255)]
    public void LocalClock_RefusesAStratumOutside1To15(byte stratum) => Assert.Throws<ArgumentOutOfRangeException>(() => ServerSnapshot.LocalClock(stratum, -20, Reference));

    [Fact]
    public void IsSynchronized_NeedsBothNoAlarmAndAStratumUnder16()
    {
        ServerSnapshot s = Synced(NtpDuration.Zero, Reference);

        Assert.True(s.IsSynchronized);
        Assert.False((s with { Leap = LeapIndicator.Unsynchronized }).IsSynchronized);
        Assert.False((s with { Stratum = 16 }).IsSynchronized);
        Assert.True((s with { Leap = LeapIndicator.InsertSecond, Stratum = 15 }).IsSynchronized);
    }

    [Fact]
    public void RootDispersion_GrowsBy15PpmOfTheAge()
    {
        ServerSnapshot s = Synced(NtpDuration.FromSeconds(0.5), Reference);

        // 1000 s at 15 ppm adds 15 ms: 0.515 s is 33751.04 units of 2^-16 s, truncated to 33751.
        uint at = s.RootDispersionAt(Reference + NtpDuration.FromSeconds(1000));

        Assert.Equal(33_751u, at);
    }

    [Fact]
    public void RootDispersion_AtTheReferenceTimeIsTheBase()
    {
        ServerSnapshot s = Synced(NtpDuration.FromSeconds(0.5), Reference);

        Assert.Equal(0x0000_8000u, s.RootDispersionAt(Reference));
    }

    [Fact]
    public void RootDispersion_DoesNotShrinkBeforeTheReferenceTime()
    {
        ServerSnapshot s = Synced(NtpDuration.FromSeconds(0.5), Reference);

        Assert.Equal(0x0000_8000u, s.RootDispersionAt(Reference - NtpDuration.FromSeconds(3600)));
    }

    [Fact]
    public void RootDispersion_WithoutAReferenceTimeDoesNotGrow()
    {
        ServerSnapshot s = Synced(NtpDuration.FromSeconds(0.5), NtpTimestamp.Zero);

        Assert.Equal(0x0000_8000u, s.RootDispersionAt(Reference));
    }

    [Fact]
    public void RootDispersion_GrowsAcrossTheEraRollover()
    {
        // Reference time 500 s before 2036-02-07T06:28:16Z, now 500 s after it: 1000 s of age.
        ServerSnapshot s = Synced(NtpDuration.FromSeconds(0.5), NtpTimestamp.FromParts(uint.MaxValue - 499, 0));

        Assert.Equal(33_751u, s.RootDispersionAt(NtpTimestamp.FromParts(500, 0)));
    }

    [Fact]
    public void RootDispersion_SaturatesInShortFormat()
    {
        ServerSnapshot s = Synced(NtpDuration.FromSeconds(65_535), Reference);

        Assert.Equal(uint.MaxValue, s.RootDispersionAt(Reference + NtpDuration.FromSeconds(1e6)));
    }
}

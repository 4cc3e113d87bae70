using FastNtp.Interop.Clock;
using FastNtp.Server.Sync;

namespace FastNtp.Server.Tests.Sync;

public class FollowKernelLoopTests
{
    private static readonly NtpTimestamp Now = NtpTimestamp.FromParts(0xEC00_0000, 0);
    private static readonly ReferenceId Pps = ReferenceId.FromAscii("PPS");

    private static ServerSnapshot Map(KernelClockState state) => FollowKernelLoop.ToSnapshot(state, 1, Pps, -20, Now);

    [Fact]
    public void SynchronizedKernel_IsAdvertisedWithItsMaximumErrorAsDispersion()
    {
        ServerSnapshot s = Map(new KernelClockState(0, 0, 0, 0.004, 0.001, 0, 37));
        Assert.True(s.IsSynchronized);
        Assert.Equal(1, s.Stratum);
        Assert.Equal(Pps, s.ReferenceId);
        Assert.Equal(LeapIndicator.NoWarning, s.Leap);
        Assert.Equal(NtpDuration.Zero, s.RootDelay);
        Assert.Equal(0.004, s.RootDispersion.TotalSeconds, 6);
        Assert.Equal(Now, s.ReferenceTime);
    }

    [Theory]
    [InlineData(0, 0x0040, 0.001)] // STA_UNSYNC
    [InlineData(5, 0, 0.001)] // TIME_ERROR
    [InlineData(0, 0, 16.0)] // maximum error at the kernel's ceiling
    public void UntrustworthyKernel_IsAdvertisedUnsynchronized(int state, int status, double maxError) => Assert.Equal(ServerSnapshot.Unsynchronized(-20), Map(new KernelClockState(state, status, 0, maxError, 0, 0, 0)));

    [Fact]
    public void LeapSecondTheKernelWillInsert_IsAnnounced() => Assert.Equal(LeapIndicator.InsertSecond, Map(new KernelClockState(1, 0x0010, 0, 0.001, 0, 0, 37)).Leap);
}

using FastNtp.Interop.Time;

namespace FastNtp.Interop.Tests.Time;

public class SystemRealtimeTests
{
    [Fact]
    public void UnixNanoseconds_ReadsTheSameWallClockAsTheRuntimeWithSubTickResolution()
    {
        long before = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        long now = SystemRealtime.UnixNanoseconds();
        long after = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 + 100;
        Assert.InRange(now, before, after);

        // Some of many readings are not multiples of 100 ns, which DateTime cannot express.
        bool finer = false;
        for (int i = 0; i < 1000 && !finer; i++) finer = SystemRealtime.UnixNanoseconds() % 100 != 0;
        Assert.True(finer);
    }
}

using FastNtp.Server.Nts;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Tests.Nts;

/// <summary>When the memory a burst of NTS-KE connections left behind is given back (the flood figures are in bench/RESULTS.md).</summary>
public sealed class NtsKeMemoryReleaseTests
{
    private int _released;

    private NtsKeMemoryRelease Create() => new(() =>
    {
        _released++;
        return new NtsKeMemoryReleased(3, 2, 1);
    }, NullLogger.Instance);

    private static void Connections(NtsKeMemoryRelease release, long count)
    {
        for (long i = 0; i < count; i++) release.Connected();
    }

    [Fact]
    public void Check_ReleasesOnceWhenABurstIsOver()
    {
        NtsKeMemoryRelease release = Create();
        Connections(release, NtsKeMemoryRelease.BurstConnections);

        Assert.False(release.Check());
        Assert.Equal(0, _released);
        Assert.True(release.Check());
        Assert.False(release.Check());
        Assert.Equal(1, _released);
        Assert.Equal(1, release.Releases);
    }

    [Fact]
    public void Check_WaitsWhileTheBurstGoesOn()
    {
        NtsKeMemoryRelease release = Create();
        for (int interval = 0; interval < 20; interval++)
        {
            Connections(release, NtsKeMemoryRelease.QuietConnections);
            Assert.False(release.Check());
        }

        Assert.Equal(0, _released);
        Assert.True(release.Check());
        Assert.Equal(1, _released);
    }

    [Fact]
    public void Check_LeavesATrickleAlone()
    {
        NtsKeMemoryRelease release = Create();
        long intervals = (NtsKeMemoryRelease.BurstConnections / (NtsKeMemoryRelease.QuietConnections - 1)) + 2;
        for (long interval = 0; interval < intervals; interval++)
        {
            Connections(release, NtsKeMemoryRelease.QuietConnections - 1);
            Assert.False(release.Check());
        }

        Assert.Equal(0, _released);
    }

    [Fact]
    public void Check_LeavesASmallBurstAlone()
    {
        NtsKeMemoryRelease release = Create();
        Connections(release, NtsKeMemoryRelease.BurstConnections - 1);

        Assert.False(release.Check());
        Assert.False(release.Check());
        Assert.Equal(0, _released);
    }
}

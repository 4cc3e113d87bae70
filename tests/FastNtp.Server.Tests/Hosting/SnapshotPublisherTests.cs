using FastNtp.Protocol.Leap;

namespace FastNtp.Server.Tests.Hosting;

/// <summary>The publisher tells copies of the state (the XDP map) of every change, at once.</summary>
public sealed class SnapshotPublisherTests
{
    private static readonly LeapAnnouncement Leap = new() { TaiOffset = 37, Scheduled = LeapIndicator.NoWarning, Announced = LeapIndicator.NoWarning };

    [Fact]
    public void Changed_IsRaisedAfterEveryPublishWithTheNewSnapshotCurrent()
    {
        var publisher = new SnapshotPublisher(ServerSnapshot.Unsynchronized(-20));
        var seen = new List<ServerSnapshot>();
        publisher.Changed += () => seen.Add(publisher.Current);
        var first = ServerSnapshot.LocalClock(1, -20, NtpTimestamp.FromParts(1000, 0));
        ServerSnapshot second = first with { Stratum = 2 };

        publisher.Publish(first);
        publisher.Publish(second);

        Assert.Equal([first, second], seen);
    }

    [Fact]
    public void Changed_IsRaisedForANewLeapAnnouncementOnly()
    {
        var publisher = new SnapshotPublisher(ServerSnapshot.LocalClock(1, -20, NtpTimestamp.FromParts(1000, 0)));
        int changes = 0;
        publisher.Changed += () => changes++;

        publisher.Announce(Leap);
        publisher.Announce(Leap with { });

        Assert.Equal(1, changes);
        Assert.Equal(37, publisher.Current.TaiOffset);
    }
}

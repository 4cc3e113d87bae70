using System.Diagnostics;
using FastNtp.Interop.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

public class LinuxBatchEngineTests
{
    [Theory]
    [InlineData("127.0.0.1:0", AddressFamily.InterNetwork)]
    [InlineData("[::1]:0", AddressFamily.InterNetworkV6)]
    public void ClientRequests_GetValidReplies(string endpoint, AddressFamily family)
    {
        using LinuxBatchEngine engine = Start(workers: 2, trackAllocations: false, endpoint);
        IPEndPoint server = engine.BoundEndpoints[0];
        using UdpClient client = NewClient(family);
        AssertAnswersEach(client, server, 20, firstTransmit: 0xE000_0000_0000_0000UL);

        engine.Stop();
        CounterTotals totals = Totals(engine).Totals;
        Assert.Equal(20, totals.Received);
        Assert.Equal(20, totals.Answered);
        Assert.Equal(0, totals.TotalDropped);
        Assert.Equal(0, totals.ReceiveErrors);
        Assert.Equal(0, totals.SendErrors);
        Assert.InRange(totals.Batches, 1, 20);
    }

    [Fact]
    public void OlderVersions_GetTheirVersionEchoed()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: false, "127.0.0.1:0");
        using UdpClient client = NewClient(AddressFamily.InterNetwork);
        client.Send(ClientRequest(42, version: 3), engine.BoundEndpoints[0]);
        byte[] reply = Receive(client, out _);
        Assert.True(NtpHeader.TryRead(reply, out NtpHeader header));
        Assert.Equal(3, header.Version);
        Assert.Equal(NtpMode.Server, header.Mode);
    }

    [Fact]
    public void SeveralEndpoints_AreServedAtOnce()
    {
        using LinuxBatchEngine engine = Start(workers: 2, trackAllocations: false, "127.0.0.1:0", "[::1]:0", "127.0.0.2:0");
        Assert.Equal(3, engine.BoundEndpoints.Count);
        Assert.Equal(6, engine.Counters.Count);

        ulong transmit = 1001;
        foreach (IPEndPoint server in engine.BoundEndpoints)
        {
            using UdpClient client = NewClient(server.AddressFamily);
            AssertAnswersEach(client, server, 5, firstTransmit: transmit);
            transmit += 5;
        }

        Assert.Equal(15, Totals(engine).Totals.Answered);
    }

    [Fact]
    public void RepliesOnAWildcardAddress_LeaveFromTheAddressEachRequestWasSentTo()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: false, "0.0.0.0:0", "[::]:0");
        using UdpClient client = NewClient(AddressFamily.InterNetwork);
        ulong transmit = 7;
        foreach (IPEndPoint bound in engine.BoundEndpoints)
        {
            foreach (string target in new[] { "127.0.0.1", "127.0.0.2", "127.0.0.5" })
            {
                var server = new IPEndPoint(IPAddress.Parse(target), bound.Port);
                long before = RealtimeClock.UnixNanoseconds();
                client.Send(ClientRequest(++transmit), server);
                byte[] reply = Receive(client, out IPEndPoint from);
                AssertValidReply(reply, transmit, before, RealtimeClock.UnixNanoseconds());
                // Without IP_PKTINFO on the reply the kernel would pick 127.0.0.1 every time.
                Assert.Equal(server, from);
            }
        }
    }

    [Fact]
    public void PacketsThatDeserveNoAnswer_AreDroppedAndCountedByReason()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: false, "127.0.0.1:0");
        IPEndPoint server = engine.BoundEndpoints[0];
        using UdpClient client = NewClient(AddressFamily.InterNetwork);

        byte[] control = ClientRequest(1);
        control[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 2, NtpMode.Control);
        byte[] privateMode = ClientRequest(2);
        privateMode[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 2, NtpMode.Private);
        byte[] serverMode = ClientRequest(3);
        serverMode[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Server);
        byte[] badExtension = [.. ClientRequest(4), 0x00, 0x01, 0x00, 0x03];
        byte[] oversize = new byte[2000];
        ClientRequest(5).CopyTo(oversize, 0);

        client.Send(new byte[10], server);
        client.Send([], server);
        client.Send(control, server);
        client.Send(privateMode, server);
        client.Send(serverMode, server);
        client.Send(badExtension, server);
        client.Send(oversize, server);

        // One worker handles this client's packets in order: the first reply must be this request's.
        long before = RealtimeClock.UnixNanoseconds();
        client.Send(ClientRequest(99), server);
        byte[] reply = Receive(client, out _);
        AssertValidReply(reply, 99, before, RealtimeClock.UnixNanoseconds());

        CounterSnapshot totals = Totals(engine);
        Assert.Equal(8, totals.Totals.Received);
        Assert.Equal(1, totals.Totals.Answered);
        Assert.Equal(2, totals.Dropped(DropReason.TooShort));
        Assert.Equal(1, totals.Dropped(DropReason.ControlMode));
        Assert.Equal(1, totals.Dropped(DropReason.PrivateMode));
        Assert.Equal(1, totals.Dropped(DropReason.ServerMode));
        Assert.Equal(1, totals.Dropped(DropReason.MalformedExtensionFields));
        // The 2000-byte datagram did not fit a slot: truncated, never handed to the responder.
        Assert.Equal(1, totals.Dropped(DropReason.Oversize));
        Assert.Equal(0, totals.Totals.ReceiveErrors);
        Assert.Equal(7, totals.Totals.TotalDropped);
    }

    [Fact]
    public void Stop_WakesIdleWorkersAndJoinsThemPromptly()
    {
        LinuxBatchEngine engine = Start(workers: 2, trackAllocations: false, "127.0.0.1:0", "[::1]:0");
        var watch = Stopwatch.StartNew();
        engine.Stop();
        watch.Stop();
        // A hang detector, not a performance check: the shutdown wake normally takes microseconds.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {watch.Elapsed}");
        engine.Dispose();

        // The ports are free again: a plain socket can bind the same one without SO_REUSEPORT.
        using var rebind = new UdpClient(engine.BoundEndpoints[0]);
    }

    [Fact]
    public void Start_FailsWhenAPortIsTakenAndReleasesWhatItOpened()
    {
        using var holder = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var taken = (IPEndPoint)holder.Client.LocalEndPoint!;
        using var free = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var freeEndpoint = (IPEndPoint)free.Client.LocalEndPoint!;
        free.Dispose();

        var settings = new EngineSettings(
            [freeEndpoint, taken], 1, new SnapshotPublisher(Snapshot), () => new Responder(), PinWorkers: false);
        using var engine = new LinuxBatchEngine(settings, NullLogger.Instance);
        AddressInUseException ex = Assert.Throws<AddressInUseException>(engine.Start);
        Assert.Equal(taken, ex.EndPoint);
        Assert.Equal(Errno.EADDRINUSE, Assert.IsType<NativeSocketException>(ex.InnerException).Errno);

        // The first endpoint's socket was closed again.
        using var rebind = new UdpClient(freeEndpoint);
    }

    [Fact]
    public void PinnedWorkers_StillAnswer()
    {
        var settings = new EngineSettings(
            [IPEndPoint.Parse("127.0.0.1:0")], 2, new SnapshotPublisher(Snapshot), () => new Responder(), PinWorkers: true);
        using var engine = new LinuxBatchEngine(settings, NullLogger.Instance);
        engine.Start();
        using UdpClient client = NewClient(AddressFamily.InterNetwork);
        long before = RealtimeClock.UnixNanoseconds();
        client.Send(ClientRequest(5), engine.BoundEndpoints[0]);
        AssertValidReply(Receive(client, out _), 5, before, RealtimeClock.UnixNanoseconds());
    }

    [Fact]
    public void PublishedSnapshot_IsServedFromTheNextBatchOn()
    {
        var publisher = new SnapshotPublisher(Snapshot);
        var settings = new EngineSettings([IPEndPoint.Parse("127.0.0.1:0")], 1, publisher, () => new Responder(), PinWorkers: false);
        using var engine = new LinuxBatchEngine(settings, NullLogger.Instance);
        engine.Start();
        using UdpClient client = NewClient(AddressFamily.InterNetwork);

        client.Send(ClientRequest(1), engine.BoundEndpoints[0]);
        Assert.True(NtpHeader.TryRead(Receive(client, out _), out NtpHeader first));
        Assert.Equal(1, first.Stratum);

        publisher.Publish(ServerSnapshot.Unsynchronized(-20));
        client.Send(ClientRequest(2), engine.BoundEndpoints[0]);
        Assert.True(NtpHeader.TryRead(Receive(client, out _), out NtpHeader second));
        Assert.Equal(ServerSnapshot.UnsynchronizedStratum, second.Stratum);
        Assert.Equal(LeapIndicator.Unsynchronized, second.Leap);
    }

    [Fact]
    public void Settings_AreValidated()
    {
        var publisher = new SnapshotPublisher(Snapshot);
        Assert.Throws<ArgumentException>(() => new LinuxBatchEngine(
            new EngineSettings([], 1, publisher, () => new Responder(), false), NullLogger.Instance));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinuxBatchEngine(
            new EngineSettings([IPEndPoint.Parse("127.0.0.1:0")], 0, publisher, () => new Responder(), false), NullLogger.Instance));
    }
}

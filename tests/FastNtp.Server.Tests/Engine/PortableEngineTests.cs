using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

/// <summary>The System.Net.Sockets fallback engine, for systems without the Linux batch engine.</summary>
public sealed class PortableEngineTests
{
    private static PortableEngine Start(params string[] endpoints)
    {
        var settings = new EngineSettings(
            Array.ConvertAll(endpoints, IPEndPoint.Parse), 2, new SnapshotPublisher(Snapshot), () => new Responder(), PinWorkers: false);
        var engine = new PortableEngine(settings);
        engine.Start();
        return engine;
    }

    [Theory]
    [InlineData("127.0.0.1:0", AddressFamily.InterNetwork)]
    [InlineData("[::1]:0", AddressFamily.InterNetworkV6)]
    public void ClientRequests_AreAnswered(string endpoint, AddressFamily family)
    {
        using PortableEngine engine = Start(endpoint);
        IPEndPoint server = engine.BoundEndpoints[0];
        using UdpClient client = NewClient(family);
        AssertAnswersEach(client, server, 10, firstTransmit: 0xE000_0000_0000_0000UL);

        engine.Stop();
        var totals = CounterTotals.Sum(engine.Counters);
        Assert.Equal(10, totals.Received);
        Assert.Equal(10, totals.Answered);
    }

    [Fact]
    public void WhatItMustNotAnswer_IsDroppedAndCounted()
    {
        using PortableEngine engine = Start("127.0.0.1:0");
        IPEndPoint server = engine.BoundEndpoints[0];
        using UdpClient client = NewClient(AddressFamily.InterNetwork);

        byte[] oversize = new byte[3000];
        ClientRequest(5).CopyTo(oversize, 0);
        client.Send(new byte[10], server);
        client.Send(oversize, server);
        // Replies come in request order from one client only if one worker takes them all; wait for the answer
        // to a good request, then for the counters to settle.
        client.Send(ClientRequest(99), server);
        AssertValidReply(Receive(client, out _), 99, 0, long.MaxValue - 2);

        var totals = CounterTotals.Sum(engine.Counters);
        for (int i = 0; i < 100 && totals.Received < 3; i++)
        {
            Thread.Sleep(10);
            totals = CounterTotals.Sum(engine.Counters);
        }

        engine.Stop();
        totals = CounterTotals.Sum(engine.Counters);
        Assert.Equal(3, totals.Received);
        Assert.Equal(1, totals.Answered);
        Assert.Equal(1, totals.Dropped[DropReason.TooShort]);
        Assert.Equal(1, totals.Dropped[DropReason.Oversize]);
    }

    [Fact]
    public void BusyPort_FailsStartWithoutLeavingSocketsOpen()
    {
        using var holder = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)holder.Client.LocalEndPoint!).Port;
        var settings = new EngineSettings(
            [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, port)], 1,
            new SnapshotPublisher(Snapshot), () => new Responder(), PinWorkers: false);
        using var engine = new PortableEngine(settings);
        Assert.Throws<SocketException>(engine.Start);
        Assert.Empty(engine.BoundEndpoints);
    }
}

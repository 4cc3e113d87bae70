using System.Buffers.Binary;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

/// <summary>Interleaved mode through the Linux batch engine on loopback: kernel transmit stamps in the next reply.</summary>
public class InterleavedEngineTests
{
    internal static PolicySettings Interleaved(bool rateLimit = false) => new(
        new ClientPolicyOptions { Interleaved = true, RateLimitEnabled = rateLimit, Burst = ClientPolicyOptions.MaxBurst },
        AccessList.AllowAll);

    /// <summary>A request as chrony's client sends it in interleaved mode: origin = the previous reply's receive time.</summary>
    internal static byte[] InterleavedRequest(NtpTimestamp previousReceive, ulong localReceive, ulong transmit)
    {
        byte[] request = ClientRequest(transmit);
        previousReceive.Write(request.AsSpan(24));
        BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(32), localReceive);
        return request;
    }

    [Fact]
    public void SecondRequestFormedInterleaved_GetsTheKernelStampOfTheFirstReply()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: false, Interleaved(), "127.0.0.1:0");
        IPEndPoint server = engine.BoundEndpoints[0];
        using UdpClient client = NewClient(AddressFamily.InterNetwork);

        // The first exchange is basic: the server knows nothing of this client yet.
        long before = RealtimeClock.UnixNanoseconds();
        client.Send(ClientRequest(0x1111), server);
        NtpHeader first = AssertValidReply(Receive(client, out _), 0x1111, before, RealtimeClock.UnixNanoseconds());

        client.Send(InterleavedRequest(first.ReceiveTime, 0x2222, 0x3333), server);
        byte[] reply = Receive(client, out _);
        Assert.True(NtpHeader.TryRead(reply, out NtpHeader second));

        // Interleaved: origin is the request's receive timestamp, transmit is when the first reply really left.
        Assert.Equal(0x2222UL, second.OriginTime.Value);
        NtpDuration delay = second.TransmitTime - first.TransmitTime;
        Assert.InRange(delay.Raw, 1, 1L << 32);
        Assert.True((second.ReceiveTime - first.TransmitTime).Raw > 0);
        Assert.True(Poll.Until(() => Totals(engine).Totals.TransmitStamps >= 2, ReplyTimeout));
        Assert.Equal(1, Totals(engine).Totals.Interleaved);

        // The same request again is a replay of a spent stamp: answered in basic mode.
        client.Send(InterleavedRequest(first.ReceiveTime, 0x2222, 0x4444), server);
        Assert.True(NtpHeader.TryRead(Receive(client, out _), out NtpHeader replay));
        Assert.Equal(0x4444UL, replay.OriginTime.Value);
        Assert.Equal(1, Totals(engine).Totals.Interleaved);
    }

    [Fact]
    public void ClientWithoutInterleavedRequests_GetsBasicRepliesAsWithInterleavedModeOff()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: false, Interleaved(rateLimit: true), "127.0.0.1:0");
        using UdpClient client = NewClient(AddressFamily.InterNetwork);

        AssertAnswersEach(client, engine.BoundEndpoints[0], 5, firstTransmit: 1000);

        Assert.Equal(0, Totals(engine).Totals.Interleaved);
    }

    [Fact]
    public void ClientSwitchingModes_GetsBasicThenInterleavedRepliesAsItAsks()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: false, Interleaved(), "127.0.0.1:0");
        IPEndPoint server = engine.BoundEndpoints[0];
        using UdpClient client = NewClient(AddressFamily.InterNetwork);

        NtpHeader reply = Exchange(client, server, ClientRequest(0x10));
        Assert.Equal(0x10UL, reply.OriginTime.Value);
        reply = Exchange(client, server, InterleavedRequest(reply.ReceiveTime, 0x21, 0x20));
        Assert.Equal(0x21UL, reply.OriginTime.Value);
        // Back to basic mode (chrony's client does after missed replies): a basic reply, whose times are kept too.
        reply = Exchange(client, server, ClientRequest(0x30));
        Assert.Equal(0x30UL, reply.OriginTime.Value);
        NtpTimestamp basicTransmit = reply.TransmitTime;
        reply = Exchange(client, server, InterleavedRequest(reply.ReceiveTime, 0x41, 0x40));
        Assert.Equal(0x41UL, reply.OriginTime.Value);
        Assert.InRange((reply.TransmitTime - basicTransmit).Raw, 1, 1L << 32);
        Assert.Equal(2, Totals(engine).Totals.Interleaved);
    }

    [Fact]
    public void OriginForgedFromAnotherClientsReply_GetsABasicReplyAndLeavesThatClientsStateAlone()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: false, Interleaved(), "0.0.0.0:0");
        var server = new IPEndPoint(IPAddress.Loopback, engine.BoundEndpoints[0].Port);
        using UdpClient alice = NewClient(AddressFamily.InterNetwork);
        using UdpClient mallory = NewClient(AddressFamily.InterNetwork);
        mallory.Client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));

        NtpHeader first = Exchange(alice, server, ClientRequest(0x10));
        // Mallory names Alice's reply (as an on-path observer could): it is not hers, so she gets a basic reply.
        NtpHeader forged = Exchange(mallory, server, InterleavedRequest(first.ReceiveTime, 0x99, 0x98));
        Assert.Equal(0x98UL, forged.OriginTime.Value);
        Assert.NotEqual(first.TransmitTime, forged.TransmitTime);

        NtpHeader second = Exchange(alice, server, InterleavedRequest(first.ReceiveTime, 0x21, 0x20));
        Assert.Equal(0x21UL, second.OriginTime.Value);
        Assert.InRange((second.TransmitTime - first.TransmitTime).Raw, 1, 1L << 32);
        Assert.Equal(1, Totals(engine).Totals.Interleaved);
    }

    private static NtpHeader Exchange(UdpClient client, IPEndPoint server, byte[] request)
    {
        client.Send(request, server);
        Assert.True(NtpHeader.TryRead(Receive(client, out _), out NtpHeader reply));
        return reply;
    }
}

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
}

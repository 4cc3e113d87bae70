using static FastNtp.Tests.Shared.TestPackets;

namespace FastNtp.Protocol.Tests.Server;

/// <summary>Interleaved mode as chrony's <c>xleave</c> clients use it: recognition and the reply's timestamps.</summary>
public class ResponderInterleavedTests
{
    private static readonly NtpTimestamp ReceiveTime = NtpTimestamp.FromParts(0xEA04_E300, 0x8000_0000);
    private static readonly ServerSnapshot Snapshot = Synchronized(LeapIndicator.NoWarning, NtpTimestamp.FromParts(0xEA04_E000, 0));

    /// <summary>The previous reply to this client: received half a second before this request, left 20 µs later.</summary>
    private static readonly PreviousReply Previous = new(
        NtpTimestamp.FromParts(0xEA04_E2FF, 0x8000_0001), NtpTimestamp.FromParts(0xEA04_E2FF, 0x8001_5000));

    private static readonly NtpTimestamp ClientReceive = NtpTimestamp.FromParts(0xEA04_E2FF, 0x9000_0000);

    /// <summary>A request formed in interleaved mode: origin = the previous reply's receive time, receive = when the client got it.</summary>
    private static byte[] InterleavedRequest(byte version = 4, NtpTimestamp? origin = null, NtpTimestamp? receive = null)
    {
        byte[] request = ClientRequest(version);
        (origin ?? Previous.Receive).Write(request.AsSpan(24));
        (receive ?? ClientReceive).Write(request.AsSpan(32));
        return request;
    }

    private static (ResponderResult Result, byte[] Response, int ClockReads) Handle(byte[] request, PreviousReply previous)
    {
        byte[] response = new byte[request.Length];
        var clock = new FakeClock(ReceiveTime);
        var info = new RequestInfo(ReceiveTime, 40000) { Previous = previous };
        ResponderResult result = new Responder().Handle(request, info, Snapshot, response, ref clock);
        Assert.True(result.ShouldRespond);
        return (result, response, clock.Calls);
    }

    [Fact]
    public void InterleavedRequest_GetsThePreviousTransmitTimeAndItsOwnReceiveTimeAsOrigin()
    {
        (ResponderResult result, byte[] response, int reads) = Handle(InterleavedRequest(), Previous);

        Assert.True(result.Interleaved);
        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        Assert.Equal(ClientReceive, reply.OriginTime);
        Assert.Equal(ReceiveTime, reply.ReceiveTime);
        Assert.Equal(Previous.Transmit, reply.TransmitTime);
        // The transmit time is the stored one: no clock is read for it.
        Assert.Equal(0, reads);
    }

    public static TheoryData<string, byte[], PreviousReply> BasicCases => new()
    {
        { "first exchange: nothing known", InterleavedRequest(), default },
        { "previous transmit already spent", InterleavedRequest(), Previous with { Transmit = NtpTimestamp.Zero } },
        { "origin is another reply's receive time", InterleavedRequest(origin: NtpTimestamp.FromParts(0xEA04_E2FF, 0x8000_0003)), Previous },
        { "basic request: origin is the previous transmit", InterleavedRequest(origin: Previous.Transmit), Previous },
        { "zero origin", InterleavedRequest(origin: NtpTimestamp.Zero), Previous with { Receive = NtpTimestamp.Zero } },
        { "receive equals transmit", InterleavedRequest(receive: ClientTransmit), Previous },
        { "NTPv3", InterleavedRequest(version: 3), Previous },
    };

    [Theory]
    [MemberData(nameof(BasicCases))]
    public void RequestThatIsNotInterleaved_GetsTheBasicReplyByteForByte(string why, byte[] request, PreviousReply previous)
    {
        (ResponderResult result, byte[] response, _) = Handle(request, previous);
        (_, byte[] withoutState, _) = Handle(request, default);

        Assert.False(result.Interleaved, why);
        Assert.Equal(withoutState, response);
        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        Assert.Equal(ClientTransmit, reply.OriginTime);
    }
}

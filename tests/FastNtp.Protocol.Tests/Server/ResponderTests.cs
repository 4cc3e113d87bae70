using static FastNtp.Tests.Shared.TestPackets;

namespace FastNtp.Protocol.Tests.Server;

public class ResponderTests
{
    private const ushort ClientPort = 50_123;

    private static readonly NtpTimestamp ReceiveTime = NtpTimestamp.FromParts(0xEA04_E300, 0x8000_0000);
    private static readonly NtpTimestamp ReferenceTime = NtpTimestamp.FromParts(0xEA04_E300 - 1000, 0);
    private static readonly ServerSnapshot Snapshot = Synchronized(LeapIndicator.InsertSecond, ReferenceTime);

    private static byte[] WithTail(byte[] header, params byte[][] tail)
    {
        var all = new List<byte>(header);
        foreach (byte[] part in tail) all.AddRange(part);
        return [.. all];
    }

    private static byte[] Field(ushort type, int valueLength)
    {
        byte[] field = new byte[ExtensionFieldWriter.FieldLength(valueLength)];
        ExtensionFieldWriter.Write(field, type, Enumerable.Repeat((byte)0x42, valueLength).ToArray());
        return field;
    }

    private static (ResponderResult Result, byte[] Response, FakeClock Clock) Handle(
        byte[] request, ushort sourcePort = ClientPort, int responseLength = 1024)
    {
        byte[] response = new byte[responseLength];
        response.AsSpan().Fill(0xCC);
        var clock = new FakeClock(ReceiveTime, response);
        var info = new RequestInfo(ReceiveTime, sourcePort);

        ResponderResult result = new Responder().Handle(request, info, Snapshot, response, ref clock);

        return (result, response, clock);
    }

    private static NtpHeader Answered(byte[] request, ushort sourcePort = ClientPort)
    {
        (ResponderResult result, byte[] response, _) = Handle(request, sourcePort);
        Assert.True(result.ShouldRespond, $"dropped: {result.Reason}");
        Assert.Equal(DropReason.None, result.Reason);
        Assert.Equal(NtpHeader.Length, result.Length);
        Assert.True(NtpHeader.TryRead(response.AsSpan(0, result.Length), out NtpHeader reply));
        return reply;
    }

    private static void AssertDropped(byte[] request, DropReason expected, ushort sourcePort = ClientPort)
    {
        (ResponderResult result, byte[] response, FakeClock clock) = Handle(request, sourcePort);

        Assert.False(result.ShouldRespond);
        Assert.Equal(0, result.Length);
        Assert.Equal(expected, result.Reason);
        // A dropped request costs no clock read and writes nothing.
        Assert.Equal(0, clock.Calls);
        Assert.All(response, b => Assert.Equal(0xCC, b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ClientRequest_GetsAServerReplyOfTheSameVersion(byte version)
    {
        NtpHeader reply = Answered(ClientRequest(version));

        Assert.Equal(NtpMode.Server, reply.Mode);
        Assert.Equal(version, reply.Version);
    }

    [Fact]
    public void Ntpv1ModeZeroFromAnEphemeralPort_IsAnsweredAsAClient()
    {
        NtpHeader reply = Answered(ClientRequest(1, NtpMode.Reserved), sourcePort: 1024);

        Assert.Equal(NtpMode.Server, reply.Mode);
        Assert.Equal(1, reply.Version);
        Assert.Equal(ClientTransmit, reply.OriginTime);
    }

    [Fact]
    public void Ntpv1ModeZeroFromPort123_IsDropped() => AssertDropped(ClientRequest(1, NtpMode.Reserved), DropReason.ReservedMode, sourcePort: ProtocolConstants.NtpPort);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ModeZeroAboveVersion1_IsDropped(byte version) => AssertDropped(ClientRequest(version, NtpMode.Reserved), DropReason.ReservedMode);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void SymmetricActive_IsDropped(byte version) => AssertDropped(ClientRequest(version, NtpMode.SymmetricActive), DropReason.SymmetricMode);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void SymmetricPassive_IsDropped(byte version) => AssertDropped(ClientRequest(version, NtpMode.SymmetricPassive), DropReason.SymmetricMode);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void ServerReply_IsDropped(byte version) => AssertDropped(ClientRequest(version, NtpMode.Server), DropReason.ServerMode);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Broadcast_IsDropped(byte version) => AssertDropped(ClientRequest(version, NtpMode.Broadcast), DropReason.ServerMode);

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void ControlQuery_IsDropped(byte version) => AssertDropped(ClientRequest(version, NtpMode.Control), DropReason.ControlMode);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void PrivateModeMonlist_IsDropped(byte version)
    {
        // ntpdc's monlist: mode 7, implementation 3 (XNTPD), request code 42 (MON_GETLIST_1), padded to 48 octets.
        byte[] request = new byte[NtpHeader.Length];
        request[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, version, NtpMode.Private);
        request[2] = 3;
        request[3] = 42;

        AssertDropped(request, DropReason.PrivateMode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void UnsupportedVersion_IsDropped(byte version) => AssertDropped(ClientRequest(version), DropReason.UnsupportedVersion);

    [Fact]
    public void VersionZeroModeZero_IsAnUnsupportedVersionNotAnNtpv1Request() => AssertDropped(ClientRequest(0, NtpMode.Reserved), DropReason.UnsupportedVersion);

    [Fact]
    public void EveryLengthUnder48_IsDropped()
    {
        byte[] full = ClientRequest();
        for (int length = 0; length < NtpHeader.Length; length++)
            AssertDropped(full[..length], DropReason.TooShort);
    }

    [Fact]
    public void OriginTime_IsTheClientsTransmitTime() => Assert.Equal(ClientTransmit, Answered(ClientRequest()).OriginTime);

    [Fact]
    public void ReceiveTime_IsTheCallersReceiveTime() => Assert.Equal(ReceiveTime, Answered(ClientRequest()).ReceiveTime);

    [Fact]
    public void TransmitTime_IsOneClockReadTakenAfterEverythingElseWasWritten()
    {
        (ResponderResult result, byte[] response, FakeClock clock) = Handle(ClientRequest());

        Assert.True(result.ShouldRespond);
        Assert.Equal(1, clock.Calls);
        Assert.Equal(clock.ValueOfRead(1), NtpHeader.ReadTransmitTime(response));
        Assert.True(NtpHeader.ReadTransmitTime(response).CompareTo(ReceiveTime) > 0);
        // When the clock was read the first 40 octets were already final and the transmit slot did not yet hold it.
        byte[] atRead = clock.WatchedAtFirstRead!;
        Assert.Equal(response[..40], atRead[..40]);
        Assert.NotEqual(response[40..48], atRead[40..48]);
    }

    [Fact]
    public void HeaderFields_ComeFromTheSnapshot()
    {
        NtpHeader reply = Answered(ClientRequest());

        Assert.Equal(LeapIndicator.InsertSecond, reply.Leap);
        Assert.Equal(2, reply.Stratum);
        Assert.Equal(-21, reply.Precision);
        Assert.Equal(0x0000_1000u, reply.RootDelay); // 0.0625 s in 16.16
        Assert.Equal(new ReferenceId(0xC000_0207), reply.ReferenceId);
        Assert.Equal(ReferenceTime, reply.ReferenceTime);
    }

    [Fact]
    public void UnsynchronizedSnapshot_IsAdvertisedAsSuch()
    {
        byte[] response = new byte[NtpHeader.Length];
        var clock = new FakeClock(ReceiveTime);

        ResponderResult result = new Responder().Handle(
            ClientRequest(), new RequestInfo(ReceiveTime, ClientPort), ServerSnapshot.Unsynchronized(-20), response, ref clock);

        Assert.True(result.ShouldRespond);
        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        Assert.Equal(LeapIndicator.Unsynchronized, reply.Leap);
        Assert.Equal(ServerSnapshot.UnsynchronizedStratum, reply.Stratum);
        Assert.Equal(ReferenceId.Initializing, reply.ReferenceId);
    }

    [Fact]
    public void RootDispersion_IsGrownBy15PpmSinceTheReferenceTime()
    {
        // Received 1000.5 s after the reference time: 0.5 s + 15.0075 ms = 0.5150075 s = 33751.53 units of 2^-16 s.
        Assert.Equal(33_751u, Answered(ClientRequest()).RootDispersion);
        Assert.Equal(Snapshot.RootDispersionAt(ReceiveTime), Answered(ClientRequest()).RootDispersion);
    }

    [Fact]
    public void Poll_IsTheClientsPoll() =>
        // As chrony and ntpd do: the reply carries the poll interval the client asked with.
        Assert.Equal(6, Answered(ClientRequest()).Poll);

    [Fact]
    public void Ntpv4WithExtensionFields_IsAnsweredWithAPlainHeader()
    {
        byte[] request = WithTail(ClientRequest(), Field(0x2005, 28), Field(0x7777, 12));

        (ResponderResult result, _, _) = Handle(request);

        Assert.True(result.ShouldRespond);
        Assert.Equal(NtpHeader.Length, result.Length);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(18)]
    [InlineData(64)]
    public void Ntpv4WithAMalformedExtensionField_IsDropped(int declaredLength)
    {
        byte[] field = new byte[32];
        BinaryPrimitives.WriteUInt16BigEndian(field, 0x2005);
        BinaryPrimitives.WriteUInt16BigEndian(field.AsSpan(2), (ushort)declaredLength);

        AssertDropped(WithTail(ClientRequest(), field), DropReason.MalformedExtensionFields);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(15)]
    [InlineData(19)]
    public void TrailingOctetsTooShortForAField_AreMalformed(int trailing) => AssertDropped(WithTail(ClientRequest(), new byte[trailing]), DropReason.MalformedExtensionFields);

    [Theory]
    [InlineData(1, 20)]
    [InlineData(2, 20)]
    [InlineData(3, 24)]
    [InlineData(4, 20)]
    [InlineData(4, 24)]
    public void LegacyMac_IsDropped(byte version, int macLength) => AssertDropped(WithTail(ClientRequest(version), new byte[macLength]), DropReason.SymmetricKeyMac);

    [Fact]
    public void Ntpv4ExtensionFieldsFollowedByAMac_AreDropped() => AssertDropped(WithTail(ClientRequest(), Field(0x2005, 28), new byte[24]), DropReason.SymmetricKeyMac);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ExtensionFieldsBeforeVersion4_AreMalformed(byte version) => AssertDropped(WithTail(ClientRequest(version), Field(0x2005, 28)), DropReason.MalformedExtensionFields);

    [Fact]
    public void ResponseBufferUnder48_IsDroppedWithoutReadingTheClock()
    {
        (ResponderResult result, byte[] response, FakeClock clock) = Handle(ClientRequest(), responseLength: NtpHeader.Length - 1);

        Assert.False(result.ShouldRespond);
        Assert.Equal(DropReason.ResponseBufferTooSmall, result.Reason);
        Assert.Equal(0, clock.Calls);
        Assert.All(response, b => Assert.Equal(0xCC, b));
    }

    [Fact]
    public void Reply_WritesOnlyTheHeader()
    {
        (ResponderResult result, byte[] response, _) = Handle(WithTail(ClientRequest(), Field(0x2005, 60)));

        Assert.Equal(NtpHeader.Length, result.Length);
        Assert.All(response[NtpHeader.Length..], b => Assert.Equal(0xCC, b));
    }

    [Fact]
    public void Reply_IsNoLongerThanItsRequest()
    {
        byte[] request = ClientRequest();

        (ResponderResult result, _, _) = Handle(request);

        Assert.True(result.ShouldRespond);
        Assert.True(result.Length <= request.Length);
    }

    [Fact]
    public void InPlaceReply_MatchesASeparateBuffer()
    {
        // An engine may answer in the receive buffer; every request field must be read before it is overwritten.
        byte[] request = WithTail(ClientRequest(), Field(0x2005, 28));
        (ResponderResult separate, byte[] expected, _) = Handle(request);
        var clock = new FakeClock(ReceiveTime);
        byte[] buffer = (byte[])request.Clone();

        ResponderResult inPlace = new Responder().Handle(buffer, new RequestInfo(ReceiveTime, ClientPort), Snapshot, buffer, ref clock);

        Assert.Equal(separate, inPlace);
        Assert.Equal(expected[..NtpHeader.Length], buffer[..NtpHeader.Length]);
    }

    [Fact]
    public void Handle_AllocatesNothing()
    {
        var responder = new Responder();
        byte[] request = WithTail(ClientRequest(), Field(0x2005, 28));
        byte[] malformed = WithTail(ClientRequest(), new byte[7]);
        byte[] response = new byte[request.Length];
        var clock = new FakeClock(ReceiveTime);
        var info = new RequestInfo(ReceiveTime, ClientPort);
        responder.Handle(request, info, Snapshot, response, ref clock);
        responder.Handle(malformed, info, Snapshot, response, ref clock);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int answered = 0;
        for (int i = 0; i < 1_000; i++)
        {
            if (responder.Handle(request, info, Snapshot, response, ref clock).ShouldRespond) answered++;
            if (responder.Handle(malformed, info, Snapshot, response, ref clock).ShouldRespond) answered++;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1_000, answered);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void LeapBitsOfTheRequest_DoNotMatter()
    {
        byte[] request = ClientRequest();
        for (int leap = 0; leap < 4; leap++)
        {
            request[0] = NtpHeader.FirstByte((LeapIndicator)leap, 4, NtpMode.Client);
            Assert.Equal(LeapIndicator.InsertSecond, Answered(request).Leap);
        }
    }
}

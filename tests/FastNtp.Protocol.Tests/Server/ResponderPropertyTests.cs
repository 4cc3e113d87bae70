using FastNtp.Protocol.Tests.Ntp;

namespace FastNtp.Protocol.Tests.Server;

public class ResponderPropertyTests
{
    private const int Cases = 10_000;

    private static readonly NtpTimestamp ReceiveTime = NtpTimestamp.FromParts(0xFFFF_FFF0, 0x4000_0000);

    private static readonly ServerSnapshot Snapshot = new()
    {
        Leap = LeapIndicator.NoWarning,
        Stratum = 1,
        Precision = -20,
        RootDelay = NtpDuration.Zero,
        RootDispersion = NtpDuration.FromMilliseconds(1),
        ReferenceId = ReferenceId.FromAscii("GPS"),
        ReferenceTime = NtpTimestamp.FromParts(0xFFFF_FF00, 0),
    };

    private static Gen<(byte[] Packet, ushort Port)> Requests => Gen.Zip(PacketGenerators.Packet, PacketGenerators.SourcePort);

    private readonly Responder _responder = new();
    private readonly byte[] _response = new byte[2048];

    /// <summary>One request through the responder, with a fresh clock the property can inspect.</summary>
    private (ResponderResult Result, FakeClock Clock) Handle((byte[] Packet, ushort Port) request)
    {
        var clock = new FakeClock(ReceiveTime);
        ResponderResult result = _responder.Handle(request.Packet, new RequestInfo(ReceiveTime, request.Port), Snapshot, _response, ref clock);
        return (result, clock);
    }

    /// <summary>
    /// The rules of the issue, restated independently of Responder.Validate: what a request deserves.
    /// </summary>
    private static DropReason Expected(byte[] packet, ushort port)
    {
        if (packet.Length < 48) return DropReason.TooShort;
        int version = (packet[0] >> 3) & 7;
        int mode = packet[0] & 7;
        if (version is < 1 or > 4) return DropReason.UnsupportedVersion;
        bool isClient = mode == 3 || (mode == 0 && version == 1 && port != 123);
        if (!isClient)
        {
            return mode switch
            {
                0 => DropReason.ReservedMode,
                1 or 2 => DropReason.SymmetricMode,
                4 or 5 => DropReason.ServerMode,
                6 => DropReason.ControlMode,
                _ => DropReason.PrivateMode,
            };
        }

        // Walk RFC 7822 fields by hand: 20 or 24 octets left are a MAC; anything else must be whole fields.
        int at = 48;
        int fields = 0;
        while (true)
        {
            int left = packet.Length - at;
            if (left is 20 or 24) return DropReason.SymmetricKeyMac;
            if (left == 0) break;
            if (left < 16) return DropReason.MalformedExtensionFields;
            int length = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at + 2));
            if (length < 16 || length % 4 != 0 || length > left) return DropReason.MalformedExtensionFields;
            at += length;
            fields++;
        }

        return fields > 0 && version != 4 ? DropReason.MalformedExtensionFields : DropReason.None;
    }

    [Fact]
    public void Responder_NeverThrowsAndNeverAnswersWithMoreThanItReceived()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases), Prop.ForAll(Arb.From(Requests), c =>
        {
            (ResponderResult result, FakeClock clock) = Handle(c);
            return result.Length <= c.Packet.Length &&
                   result.Length >= 0 &&
                   result.ShouldRespond == (result.Reason == DropReason.None) &&
                   clock.Calls == (result.ShouldRespond ? 1 : 0);
        }));
    }

    [Fact]
    public void Responder_DecidesExactlyAsTheRulesSay()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases), Prop.ForAll(Arb.From(Requests), c =>
        {
            (ResponderResult result, FakeClock clock) = Handle(c);
            DropReason expected = Expected(c.Packet, c.Port);
            return Prop.Label(result.Reason == expected, $"expected {expected}, got {result.Reason}")
                .Classify(expected == DropReason.None, "answered")
                .Classify(expected == DropReason.MalformedExtensionFields, "malformed fields")
                .Classify(expected == DropReason.SymmetricKeyMac, "MAC");
        }));
    }

    [Fact]
    public void EveryAnswer_IsAWellFormedReplyToItsRequest()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases), Prop.ForAll(Arb.From(Requests), c =>
        {
            (ResponderResult result, FakeClock clock) = Handle(c);
            if (!result.ShouldRespond) return true;

            return NtpHeader.TryRead(_response.AsSpan(0, result.Length), out NtpHeader reply) &&
                   result.Length == NtpHeader.Length &&
                   reply.Mode == NtpMode.Server &&
                   reply.Version == ((c.Packet[0] >> 3) & 7) &&
                   reply.Stratum == Snapshot.Stratum &&
                   reply.ReferenceId == Snapshot.ReferenceId &&
                   reply.OriginTime == NtpHeader.ReadTransmitTime(c.Packet) &&
                   reply.ReceiveTime == ReceiveTime &&
                   reply.TransmitTime == clock.ValueOfRead(1);
        }));
    }

    [Fact]
    public void CodecAndFieldWalk_NeverThrowOnAnyPacket()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases), Prop.ForAll(Arb.From(PacketGenerators.Packet), packet =>
        {
            bool read = NtpHeader.TryRead(packet, out _);
            if (packet.Length <= NtpHeader.Length) return read == (packet.Length == NtpHeader.Length);
            ExtensionFieldLayout layout = ExtensionFieldReader.Classify(packet.AsSpan(NtpHeader.Length));
            return read && layout != ExtensionFieldLayout.None;
        }));
    }
}

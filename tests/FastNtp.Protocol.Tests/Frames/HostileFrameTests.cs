using static FastNtp.Protocol.Tests.Frames.FrameCaptures;

namespace FastNtp.Protocol.Tests.Frames;

/// <summary>Frames the codec must refuse with a clear reason, and must never crash on.</summary>
public class HostileFrameTests
{
    private const int Ip = EthernetHeader.Length;

    [Theory]
    [InlineData(false, UdpFrame.Ipv4HeadersLength - UdpHeader.Length, FrameError.TruncatedIpv4, FrameError.BadIpv4TotalLength)]
    [InlineData(true, UdpFrame.Ipv6HeadersLength - UdpHeader.Length, FrameError.TruncatedIpv6, FrameError.BadIpv6PayloadLength)]
    public void EveryTruncationOfACapture_HasItsReason(bool ipv6, int ipHeaderEnd, FrameError inIpHeader, FrameError afterIt)
    {
        byte[] frame = Capture(ipv6);
        for (int length = 0; length < frame.Length; length++)
        {
            FrameError expected = length < Ip ? FrameError.TruncatedEthernet : length < ipHeaderEnd ? inIpHeader : afterIt;
            Assert.Equal(expected, UdpFrame.TryParse(frame.AsSpan(0, length), out _));
        }
    }

    [Theory]
    [InlineData(0x8100, FrameError.VlanTagged)]
    [InlineData(0x88A8, FrameError.VlanTagged)]
    [InlineData(0x9100, FrameError.VlanTagged)]
    [InlineData(0x0806, FrameError.UnsupportedEtherType)]
    [InlineData(0x0040, FrameError.UnsupportedEtherType)]
    public void OtherEtherTypes_AreRefused(int etherType, FrameError expected)
    {
        byte[] frame = RequestV4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), (ushort)etherType);
        Assert.Equal(expected, UdpFrame.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(false, 0x65)]
    [InlineData(true, 0x45)]
    public void IpVersionThatContradictsTheEtherType_IsRefused(bool ipv6, byte versionByte) =>
        Assert.Equal(FrameError.BadIpVersion, ParseWithIpByte(ipv6, 0, versionByte));

    [Theory]
    [InlineData(0x40, FrameError.BadIpv4HeaderLength)]
    [InlineData(0x44, FrameError.BadIpv4HeaderLength)]
    [InlineData(0x46, FrameError.Ipv4Options)]
    [InlineData(0x4F, FrameError.Ipv4Options)]
    public void Ipv4HeaderLengthsOtherThanFive_AreRefused(byte versionAndIhl, FrameError expected) =>
        Assert.Equal(expected, ParseWithIpByte(ipv6: false, 0, versionAndIhl));

    [Fact]
    public void Ipv4OptionsInARealisticFrame_AreRefused()
    {
        // IHL 6 with a 4-byte option (end-of-list padding) and the datagram after it.
        byte[] request = RequestV4;
        byte[] frame = [.. request[..34], 0, 0, 0, 0, .. request[34..]];
        frame[Ip] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + 2), (ushort)(frame.Length - Ip));
        InternetChecksumFix(frame.AsSpan(Ip, 24));
        Assert.Equal(FrameError.Ipv4Options, UdpFrame.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    [InlineData(77)]
    [InlineData(0xFFFF)]
    public void Ipv4TotalLengthsBelowTheHeaderOrBeyondTheFrame_AreRefused(int totalLength) =>
        Assert.Equal(FrameError.BadIpv4TotalLength, ParseWithIpField(ipv6: false, 2, totalLength));

    [Fact]
    public void ShorterIpv4TotalLength_LeavesTheUdpLengthWrong() =>
        Assert.Equal(FrameError.BadUdpLength, ParseWithIpField(ipv6: false, 2, 75));

    [Theory]
    [InlineData(0x2000)]
    [InlineData(0x0001)]
    [InlineData(0x1FFF)]
    [InlineData(0x6000)]
    public void Ipv4Fragments_AreRefused(int flagsAndOffset) =>
        Assert.Equal(FrameError.Ipv4Fragment, ParseWithIpField(ipv6: false, 6, flagsAndOffset));

    [Fact]
    public void AnyFlippedBitInTheIpv4Header_BreaksItsChecksum()
    {
        for (int bit = 0; bit < Ipv4Header.Length * 8; bit++)
        {
            byte[] frame = RequestV4;
            frame[Ip + bit / 8] ^= (byte)(1 << (bit % 8));
            FrameError error = UdpFrame.TryParse(frame, out _);
            // Version, header length and total length are checked before the checksum; every other bit fails on it.
            Assert.NotEqual(FrameError.None, error);
            if (bit / 8 is not (0 or 2 or 3))
                Assert.Equal(FrameError.BadIpv4Checksum, error);
        }
    }

    [Theory]
    [InlineData(false, 9, 6)]
    [InlineData(true, 6, 58)]
    public void OtherIpProtocols_AreNotUdp(bool ipv6, int protocolOffset, byte protocol) =>
        Assert.Equal(FrameError.NotUdp, ParseWithIpByte(ipv6, protocolOffset, protocol));

    /// <summary>
    /// Every IPv6 extension header in IANA's list: hop-by-hop, routing, fragment, ESP, AH, destination options,
    /// mobility, HIP, shim6 and the two experimental values.
    /// </summary>
    public static TheoryData<byte> ExtensionHeaders => [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254];

    [Theory]
    [MemberData(nameof(ExtensionHeaders))]
    public void Ipv6ExtensionHeaders_AreRefused(byte nextHeader) =>
        Assert.Equal(FrameError.Ipv6ExtensionHeader, ParseWithIpByte(ipv6: true, 6, nextHeader));

    [Fact]
    public void RealHopByHopHeaderBeforeUdp_IsRefused()
    {
        byte[] request = RequestV6;
        // Hop-by-hop: next header 17, length 0 (8 bytes), PadN of 4 bytes.
        byte[] frame = [.. request[..54], 17, 0, 1, 4, 0, 0, 0, 0, .. request[54..]];
        frame[Ip + 6] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + 4), (ushort)(frame.Length - 54));
        Assert.Equal(FrameError.Ipv6ExtensionHeader, UdpFrame.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(57)]
    [InlineData(0xFFFF)]
    public void Ipv6PayloadLengthsBeyondTheFrameOrZero_AreRefused(int payloadLength) =>
        Assert.Equal(FrameError.BadIpv6PayloadLength, ParseWithIpField(ipv6: true, 4, payloadLength));

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 7)]
    [InlineData(false, 55)]
    [InlineData(false, 57)]
    [InlineData(true, 8)]
    [InlineData(true, 0xFFFF)]
    public void UdpLengthsOtherThanTheIpPayload_AreRefused(bool ipv6, int udpLength)
    {
        byte[] frame = Capture(ipv6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(UdpFrame.HeadersLength(ipv6) - 4), (ushort)udpLength);
        Assert.Equal(FrameError.BadUdpLength, UdpFrame.TryParse(frame, out _));
    }

    [Fact]
    public void TruncatedUdpHeader_IsRefused()
    {
        byte[] request = RequestV4;
        byte[] frame = request[..40];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + 2), 26);
        FixIpv4Checksum(frame);
        Assert.Equal(FrameError.TruncatedUdp, UdpFrame.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnyFlippedBitInTheDatagram_BreaksTheUdpChecksum(bool ipv6)
    {
        int udp = UdpFrame.HeadersLength(ipv6) - UdpHeader.Length;
        int length = Capture(ipv6).Length;
        for (int bit = 0; bit < (length - udp) * 8; bit++)
        {
            if (bit / 8 is 4 or 5) continue; // the length field, refused earlier as BadUdpLength
            byte[] frame = Capture(ipv6);
            frame[udp + bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Equal(FrameError.BadUdpChecksum, UdpFrame.TryParse(frame, out _));
            Assert.Equal(FrameError.None, UdpFrame.TryParse(frame, out _, UdpChecksumPolicy.Skip));
        }
    }

    [Fact]
    public void Addresses_ArePartOfTheUdpChecksum()
    {
        byte[] v6 = RequestV6;
        v6[Ip + 8 + 15] ^= 1;
        Assert.Equal(FrameError.BadUdpChecksum, UdpFrame.TryParse(v6, out _));
        byte[] v4 = RequestV4;
        v4[Ip + 19] ^= 1;
        FixIpv4Checksum(v4);
        Assert.Equal(FrameError.BadUdpChecksum, UdpFrame.TryParse(v4, out _));
    }

    [Fact]
    public void ZeroUdpChecksum_IsNoneOverIpv4AndInvalidOverIpv6()
    {
        byte[] v4 = RequestV4;
        v4[UdpFrame.Ipv4HeadersLength - 2] = 0;
        v4[UdpFrame.Ipv4HeadersLength - 1] = 0;
        Assert.Equal(FrameError.None, UdpFrame.TryParse(v4, out _));
        byte[] v6 = RequestV6;
        v6[UdpFrame.Ipv6HeadersLength - 2] = 0;
        v6[UdpFrame.Ipv6HeadersLength - 1] = 0;
        Assert.Equal(FrameError.MissingUdpChecksum, UdpFrame.TryParse(v6, out _));
    }

    [Fact]
    public void AnyByteString_ParsesWithoutThrowing() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            FrameError error = UdpFrame.TryParse(bytes, out UdpFrame udp);
            return error != FrameError.None || udp.Length <= bytes.Length;
        }));

    [Fact]
    public void MutatedFrames_ParseWithoutThrowingAndWhatIsAcceptedIsConsistent() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20_000), Prop.ForAll(Arb.From(MutatedFrames), frame =>
        {
            if (UdpFrame.TryParse(frame, out UdpFrame udp) != FrameError.None) return true;
            bool ipv6 = udp.IsIPv6;
            return udp.Length <= frame.Length &&
                   udp.Payload.Length == udp.Length - UdpFrame.HeadersLength(ipv6) &&
                   (!ipv6 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(UdpFrame.Ipv4HeadersLength - 2)) == 0 ||
                    UdpFrameTests.ReferenceUdpChecksumHolds(frame.AsSpan(0, udp.Length), ipv6));
        }));

    /// <summary>The captures with a few random bytes overwritten, or cut, or extended: near-valid frames where parsers go wrong.</summary>
    private static Gen<byte[]> MutatedFrames =>
        from ipv6 in Gen.Elements(false, true)
        from edits in Gen.ListOf(Gen.Zip(Gen.Choose(0, 109), Gen.Choose(0, 255)))
        from cut in Gen.Choose(0, 130)
        select Mutate(Capture(ipv6), edits, cut);

    private static byte[] Mutate(byte[] frame, IEnumerable<(int At, int Value)> edits, int length)
    {
        foreach ((int at, int value) in edits.Take(4))
            if (at < frame.Length) frame[at] = (byte)value;
        byte[] result = new byte[length];
        frame.AsSpan(0, Math.Min(length, frame.Length)).CopyTo(result);
        return result;
    }

    private static byte[] Capture(bool ipv6) => ipv6 ? RequestV6 : RequestV4;

    /// <summary>Parses a capture with one octet of its IP header replaced (an IPv4 header's checksum made right again).</summary>
    private static FrameError ParseWithIpByte(bool ipv6, int offset, byte value)
    {
        byte[] frame = Capture(ipv6);
        frame[Ip + offset] = value;
        return ParseWithFixedChecksum(frame, ipv6);
    }

    /// <summary>Parses a capture with one 16-bit field of its IP header replaced (an IPv4 header's checksum made right again).</summary>
    private static FrameError ParseWithIpField(bool ipv6, int offset, int value)
    {
        byte[] frame = Capture(ipv6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + offset), (ushort)value);
        return ParseWithFixedChecksum(frame, ipv6);
    }

    private static FrameError ParseWithFixedChecksum(byte[] frame, bool ipv6)
    {
        if (!ipv6) FixIpv4Checksum(frame);
        return UdpFrame.TryParse(frame, out _);
    }

    private static void FixIpv4Checksum(byte[] frame) => InternetChecksumFix(frame.AsSpan(Ip, Ipv4Header.Length));

    private static void InternetChecksumFix(Span<byte> header)
    {
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], ReferenceChecksum(header));
    }
}

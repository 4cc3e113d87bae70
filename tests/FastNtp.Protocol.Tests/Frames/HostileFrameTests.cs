using System.Buffers.Binary;
using FastNtp.Protocol.Frames;
using FsCheck;
using FsCheck.Fluent;
using static FastNtp.Protocol.Tests.Frames.FrameCaptures;

namespace FastNtp.Protocol.Tests.Frames;

/// <summary>Frames the codec must refuse with a clear reason, and must never crash on.</summary>
public class HostileFrameTests
{
    private const int Ip = EthernetHeader.Length;

    [Fact]
    public void EveryTruncationOfTheIpv4Capture_HasItsReason()
    {
        byte[] frame = RequestV4;
        for (int length = 0; length < frame.Length; length++)
        {
            FrameError expected = length switch
            {
                < 14 => FrameError.TruncatedEthernet,
                < 34 => FrameError.TruncatedIpv4,
                _ => FrameError.BadIpv4TotalLength,
            };
            Assert.Equal(expected, UdpFrame.TryParse(frame.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void EveryTruncationOfTheIpv6Capture_HasItsReason()
    {
        byte[] frame = RequestV6;
        for (int length = 0; length < frame.Length; length++)
        {
            FrameError expected = length switch
            {
                < 14 => FrameError.TruncatedEthernet,
                < 54 => FrameError.TruncatedIpv6,
                _ => FrameError.BadIpv6PayloadLength,
            };
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

    [Fact]
    public void IpVersionThatContradictsTheEtherType_IsRefused()
    {
        byte[] v4 = RequestV4;
        v4[Ip] = 0x65;
        Assert.Equal(FrameError.BadIpVersion, UdpFrame.TryParse(v4, out _));
        byte[] v6 = RequestV6;
        v6[Ip] = 0x45;
        Assert.Equal(FrameError.BadIpVersion, UdpFrame.TryParse(v6, out _));
    }

    [Theory]
    [InlineData(0x40, FrameError.BadIpv4HeaderLength)]
    [InlineData(0x44, FrameError.BadIpv4HeaderLength)]
    [InlineData(0x46, FrameError.Ipv4Options)]
    [InlineData(0x4F, FrameError.Ipv4Options)]
    public void Ipv4HeaderLengthsOtherThanFive_AreRefused(byte versionAndIhl, FrameError expected)
    {
        byte[] frame = RequestV4;
        frame[Ip] = versionAndIhl;
        FixIpv4Checksum(frame);
        Assert.Equal(expected, UdpFrame.TryParse(frame, out _));
    }

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
    public void Ipv4TotalLengthsBelowTheHeaderOrBeyondTheFrame_AreRefused(int totalLength)
    {
        byte[] frame = RequestV4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + 2), (ushort)totalLength);
        FixIpv4Checksum(frame);
        Assert.Equal(FrameError.BadIpv4TotalLength, UdpFrame.TryParse(frame, out _));
    }

    [Fact]
    public void ShorterIpv4TotalLength_LeavesTheUdpLengthWrong()
    {
        byte[] frame = RequestV4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + 2), 75);
        FixIpv4Checksum(frame);
        Assert.Equal(FrameError.BadUdpLength, UdpFrame.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(0x2000)]
    [InlineData(0x0001)]
    [InlineData(0x1FFF)]
    [InlineData(0x6000)]
    public void Ipv4Fragments_AreRefused(int flagsAndOffset)
    {
        byte[] frame = RequestV4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + 6), (ushort)flagsAndOffset);
        FixIpv4Checksum(frame);
        Assert.Equal(FrameError.Ipv4Fragment, UdpFrame.TryParse(frame, out _));
    }

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

    [Fact]
    public void OtherIpProtocols_AreNotUdp()
    {
        byte[] v4 = RequestV4;
        v4[Ip + 9] = 6;
        FixIpv4Checksum(v4);
        Assert.Equal(FrameError.NotUdp, UdpFrame.TryParse(v4, out _));
        byte[] v6 = RequestV6;
        v6[Ip + 6] = 58;
        Assert.Equal(FrameError.NotUdp, UdpFrame.TryParse(v6, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(43)]
    [InlineData(44)]
    [InlineData(50)]
    [InlineData(51)]
    [InlineData(60)]
    [InlineData(135)]
    [InlineData(139)]
    [InlineData(140)]
    [InlineData(253)]
    [InlineData(254)]
    public void Ipv6ExtensionHeaders_AreRefused(byte nextHeader)
    {
        byte[] frame = RequestV6;
        frame[Ip + 6] = nextHeader;
        Assert.Equal(FrameError.Ipv6ExtensionHeader, UdpFrame.TryParse(frame, out _));
    }

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
    public void Ipv6PayloadLengthsBeyondTheFrameOrZero_AreRefused(int payloadLength)
    {
        byte[] frame = RequestV6;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ip + 4), (ushort)payloadLength);
        Assert.Equal(FrameError.BadIpv6PayloadLength, UdpFrame.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 7)]
    [InlineData(false, 55)]
    [InlineData(false, 57)]
    [InlineData(true, 8)]
    [InlineData(true, 0xFFFF)]
    public void UdpLengthsOtherThanTheIpPayload_AreRefused(bool ipv6, int udpLength)
    {
        byte[] frame = ipv6 ? RequestV6 : RequestV4;
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
        int length = (ipv6 ? RequestV6 : RequestV4).Length;
        for (int bit = 0; bit < (length - udp) * 8; bit++)
        {
            if (bit / 8 is 4 or 5) continue; // the length field, refused earlier as BadUdpLength
            byte[] frame = ipv6 ? RequestV6 : RequestV4;
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
        select Mutate(ipv6 ? RequestV6 : RequestV4, edits, cut);

    private static byte[] Mutate(byte[] frame, IEnumerable<(int At, int Value)> edits, int length)
    {
        foreach ((int at, int value) in edits.Take(4))
            if (at < frame.Length) frame[at] = (byte)value;
        byte[] result = new byte[length];
        frame.AsSpan(0, Math.Min(length, frame.Length)).CopyTo(result);
        return result;
    }

    private static void FixIpv4Checksum(byte[] frame) => InternetChecksumFix(frame.AsSpan(Ip, Ipv4Header.Length));

    private static void InternetChecksumFix(Span<byte> header)
    {
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], ReferenceChecksum(header));
    }
}

using static FastNtp.Protocol.Tests.Frames.FrameCaptures;

namespace FastNtp.Protocol.Tests.Frames;

public class UdpFrameTests
{
    [Fact]
    public void Parse_ReadsTheIpv4Capture()
    {
        byte[] frame = RequestV4;
        Assert.Equal(FrameError.None, UdpFrame.TryParse(frame, out UdpFrame udp));
        Assert.False(udp.IsIPv6);
        Assert.Equal(ServerMac, udp.DestinationMac);
        Assert.Equal(ClientMac, udp.SourceMac);
        Assert.Equal(ClientV4, udp.SourceAddress.ToArray());
        Assert.Equal(ServerV4, udp.DestinationAddress.ToArray());
        Assert.Equal(ClientPort, udp.SourcePort);
        Assert.Equal(ServerPort, udp.DestinationPort);
        Assert.Equal(NtpRequest, udp.Payload.ToArray());
        Assert.Equal(frame.Length, udp.Length);
    }

    [Fact]
    public void Parse_ReadsTheIpv6Capture()
    {
        Assert.Equal(FrameError.None, UdpFrame.TryParse(RequestV6, out UdpFrame udp));
        Assert.True(udp.IsIPv6);
        Assert.Equal(ClientV6, udp.SourceAddress.ToArray());
        Assert.Equal(ServerV6, udp.DestinationAddress.ToArray());
        Assert.Equal(ClientPort, udp.SourcePort);
        Assert.Equal(ServerPort, udp.DestinationPort);
        Assert.Equal(NtpRequest, udp.Payload.ToArray());
    }

    [Fact]
    public void Writer_BuildsTheCapturesByteForByte()
    {
        byte[] frame = new byte[200];
        int n = UdpFrameWriter.Write(frame, ClientMac, ServerMac, ClientV4, ServerV4, ClientPort, ServerPort, NtpRequest);
        Assert.Equal(RequestV4, frame[..n]);
        n = UdpFrameWriter.Write(frame, ClientMac, ServerMac, ClientV6, ServerV6, ClientPort, ServerPort, NtpRequest);
        Assert.Equal(RequestV6, frame[..n]);
    }

    [Fact]
    public void WriteHeaders_WrapsAPayloadAlreadyInPlace()
    {
        byte[] frame = new byte[UdpFrame.Ipv6HeadersLength + 48];
        NtpRequest.CopyTo(frame, UdpFrame.Ipv6HeadersLength);
        int n = UdpFrameWriter.WriteHeaders(frame, ClientMac, ServerMac, ClientV6, ServerV6, ClientPort, ServerPort, 48);
        Assert.Equal(RequestV6, frame[..n]);
    }

    [Fact]
    public void EthernetPaddingAfterTheDatagram_IsIgnored()
    {
        // A minimum-size frame: a 1-byte UDP payload padded to 60 bytes on the wire.
        byte[] frame = new byte[60];
        int n = UdpFrameWriter.Write(frame, ClientMac, ServerMac, ClientV4, ServerV4, 1, 2, [0x42]);
        Assert.Equal(43, n);
        frame.AsSpan(n).Fill(0xEE);
        Assert.Equal(FrameError.None, UdpFrame.TryParse(frame, out UdpFrame udp));
        Assert.Equal([0x42], udp.Payload.ToArray());
        Assert.Equal(n, udp.Length);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 48)]
    [InlineData(false, 1001)]
    [InlineData(true, 0)]
    [InlineData(true, 48)]
    [InlineData(true, 1001)]
    public void AnyPayloadLength_RoundTrips(bool ipv6, int payloadLength)
    {
        byte[] payload = new byte[payloadLength];
        new Random(payloadLength).NextBytes(payload);
        byte[] frame = new byte[2000];
        int n = UdpFrameWriter.Write(frame, ClientMac, ServerMac, ipv6 ? ClientV6 : ClientV4, ipv6 ? ServerV6 : ServerV4, 5000, 123, payload);
        Assert.Equal(FrameError.None, UdpFrame.TryParse(frame.AsSpan(0, n), out UdpFrame udp));
        Assert.Equal(ipv6, udp.IsIPv6);
        Assert.Equal(payload, udp.Payload.ToArray());
        Assert.Equal(5000, udp.SourcePort);
        Assert.True(ReferenceUdpChecksumHolds(frame.AsSpan(0, n), ipv6));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TurnIntoReply_SwapsEndpointsAndKeepsChecksumsRight(bool ipv6)
    {
        byte[] frame = new byte[256];
        byte[] request = ipv6 ? RequestV6 : RequestV4;
        request.CopyTo(frame, 0);
        // A reply longer than the request, with a hop count that must be reset.
        frame[EthernetHeader.Length + (ipv6 ? 7 : 8)] = 3;
        byte[] reply = new byte[60];
        new Random(7).NextBytes(reply);
        int headers = UdpFrame.HeadersLength(ipv6);
        reply.CopyTo(frame, headers);

        int n = UdpFrameWriter.TurnIntoReply(frame, ipv6, reply.Length);

        Assert.Equal(headers + reply.Length, n);
        Assert.Equal(FrameError.None, UdpFrame.TryParse(frame.AsSpan(0, n), out UdpFrame udp));
        Assert.Equal(ClientMac, udp.DestinationMac);
        Assert.Equal(ServerMac, udp.SourceMac);
        Assert.Equal(ipv6 ? ServerV6 : ServerV4, udp.SourceAddress.ToArray());
        Assert.Equal(ipv6 ? ClientV6 : ClientV4, udp.DestinationAddress.ToArray());
        Assert.Equal(ServerPort, udp.SourcePort);
        Assert.Equal(ClientPort, udp.DestinationPort);
        Assert.Equal(reply, udp.Payload.ToArray());
        Assert.Equal(64, frame[EthernetHeader.Length + (ipv6 ? 7 : 8)]);
        Assert.True(ReferenceUdpChecksumHolds(frame.AsSpan(0, n), ipv6));
        if (!ipv6) Assert.Equal(0, ReferenceChecksum(frame.AsSpan(EthernetHeader.Length, Ipv4Header.Length)));
    }

    [Fact]
    public void TurnIntoReplyOfAReply_GivesBackTheRequest()
    {
        byte[] frame = RequestV4;
        UdpFrameWriter.TurnIntoReply(frame, false, 48);
        UdpFrameWriter.TurnIntoReply(frame, false, 48);
        Assert.Equal(RequestV4, frame);
    }

    [Fact]
    public void Writers_RefuseBuffersTooSmall()
    {
        Assert.Throws<ArgumentException>(() => UdpFrameWriter.Write(new byte[80], ClientMac, ServerMac, ClientV4, ServerV4, 1, 2, NtpRequest));
        Assert.Throws<ArgumentException>(() => UdpFrameWriter.TurnIntoReply(new byte[90], true, 48));
        Assert.Throws<ArgumentException>(() => UdpFrameWriter.Write(new byte[200], ClientMac, ServerMac, ClientV4, ServerV6, 1, 2, NtpRequest));
    }

    [Fact]
    public void IncrementalUdpChecksumUpdate_MatchesTheCapture()
    {
        // Start from the capture with transmit timestamp zero and a checksum computed for it, then set the timestamp.
        byte[] frame = RequestV4;
        int transmitAt = UdpFrame.Ipv4HeadersLength + 40;
        byte[] transmit = frame[transmitAt..(transmitAt + 8)];
        frame.AsSpan(transmitAt, 8).Clear();
        Span<byte> datagram = frame.AsSpan(UdpFrame.Ipv4HeadersLength - UdpHeader.Length);
        UdpChecksum.Write(ClientV4, ServerV4, datagram);
        ushort zeroChecksum = BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]);

        ushort updated = UdpChecksum.Update(zeroChecksum, new byte[8], transmit);
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(RequestV4.AsSpan(UdpFrame.Ipv4HeadersLength - 2)), updated);
    }

    [Fact]
    public void ParsingAndTurningIntoAReply_AllocateNothing()
    {
        byte[] v4 = RequestV4;
        byte[] v6 = RequestV6;
        static void Turn(byte[] frame)
        {
            if (UdpFrame.TryParse(frame, out UdpFrame udp) == FrameError.None)
                UdpFrameWriter.TurnIntoReply(frame, udp.IsIPv6, udp.Payload.Length);
        }

        Turn(v4);
        Turn(v6);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Turn(v4);
            Turn(v6);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void MacAddresses_ParseAndPrint()
    {
        Assert.True(MacAddress.TryParse("02:00:5e:10:00:01", out MacAddress mac));
        Assert.Equal(0x02005E100001UL, mac.Value);
        Assert.Equal("02:00:5e:10:00:01", mac.ToString());
        Assert.True(MacAddress.TryParse("02-00-5E-10-00-01", out MacAddress dashed));
        Assert.Equal(mac, dashed);
        Assert.False(MacAddress.TryParse("02:00:5e:10:00", out _));
        Assert.False(MacAddress.TryParse("02:00:5e:10:00:0g", out _));
        Assert.False(MacAddress.TryParse("02:00:5e:10:00;01", out _));
        Assert.False(MacAddress.TryParse("02:00:5e:10:00:+1", out _));
    }

    /// <summary>The UDP checksum recomputed with the reference sum over a hand-built pseudo-header.</summary>
    internal static bool ReferenceUdpChecksumHolds(ReadOnlySpan<byte> frame, bool ipv6)
    {
        int ip = EthernetHeader.Length;
        int udp = UdpFrame.HeadersLength(ipv6) - UdpHeader.Length;
        int addressLength = ipv6 ? 16 : 4;
        int sourceAt = ip + (ipv6 ? 8 : 12);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(udp + 4)..]);
        var covered = new List<byte>();
        covered.AddRange(frame.Slice(sourceAt, 2 * addressLength).ToArray());
        covered.AddRange(ipv6 ? [0, 0, (byte)(udpLength >> 8), (byte)udpLength, 0, 0, 0, 17] : [0, 17, (byte)(udpLength >> 8), (byte)udpLength]);
        covered.AddRange(frame.Slice(udp, udpLength).ToArray());
        return ReferenceChecksum(covered.ToArray()) == 0;
    }
}

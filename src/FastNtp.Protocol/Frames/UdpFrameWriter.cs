using System.Buffers.Binary;

namespace FastNtp.Protocol.Frames;

/// <summary>
/// Builds UDP frames (Ethernet II, IPv4 without options or IPv6, UDP) around a payload, and turns a parsed
/// request frame into its reply in place. Frame layouts are those <see cref="UdpFrame"/> accepts.
/// </summary>
public static class UdpFrameWriter
{
    /// <summary>
    /// Writes the headers in front of a payload already at <see cref="UdpFrame.HeadersLength"/>; the address
    /// length (4 or 16 bytes) picks IPv4 or IPv6. Returns the frame length.
    /// </summary>
    public static int WriteHeaders(Span<byte> frame, MacAddress sourceMac, MacAddress destinationMac,
        ReadOnlySpan<byte> sourceAddress, ReadOnlySpan<byte> destinationAddress, ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        bool isIPv6 = sourceAddress.Length == 16;
        int headers = UdpFrame.HeadersLength(isIPv6);
        if (frame.Length < headers + payloadLength)
            throw new ArgumentException("The frame buffer cannot hold the headers and the payload.", nameof(frame));
        int udpOffset = headers - UdpHeader.Length;
        EthernetHeader.Write(frame, destinationMac, sourceMac, isIPv6 ? EthernetHeader.EtherTypeIpv6 : EthernetHeader.EtherTypeIpv4);
        if (isIPv6)
            Ipv6Header.Write(frame[EthernetHeader.Length..], sourceAddress, destinationAddress, Ipv4Header.ProtocolUdp, UdpHeader.Length + payloadLength);
        else
            Ipv4Header.Write(frame[EthernetHeader.Length..], sourceAddress, destinationAddress, Ipv4Header.ProtocolUdp, UdpHeader.Length + payloadLength);
        Span<byte> datagram = frame.Slice(udpOffset, UdpHeader.Length + payloadLength);
        UdpHeader.Write(datagram, sourcePort, destinationPort, payloadLength);
        UdpChecksum.Write(sourceAddress, destinationAddress, datagram);
        return headers + payloadLength;
    }

    /// <summary>Copies <paramref name="payload"/> into place and writes the headers around it. Returns the frame length.</summary>
    public static int Write(Span<byte> frame, MacAddress sourceMac, MacAddress destinationMac,
        ReadOnlySpan<byte> sourceAddress, ReadOnlySpan<byte> destinationAddress, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        int headers = UdpFrame.HeadersLength(sourceAddress.Length == 16);
        if (frame.Length < headers + payload.Length)
            throw new ArgumentException("The frame buffer cannot hold the headers and the payload.", nameof(frame));
        payload.CopyTo(frame[headers..]);
        return WriteHeaders(frame, sourceMac, destinationMac, sourceAddress, destinationAddress, sourcePort, destinationPort, payload.Length);
    }

    /// <summary>
    /// Turns a frame <see cref="UdpFrame.TryParse"/> accepted into the reply to it, in place: MAC addresses, IP
    /// addresses and ports swapped, TTL or hop limit reset to 64, lengths set for the <paramref name="payloadLength"/>
    /// bytes the caller wrote at the payload offset, IPv4 header and UDP checksums recomputed. Returns the reply's length.
    /// </summary>
    public static int TurnIntoReply(Span<byte> frame, bool isIPv6, int payloadLength)
    {
        int headers = UdpFrame.HeadersLength(isIPv6);
        if (payloadLength < 0 || frame.Length < headers + payloadLength)
            throw new ArgumentException("The frame buffer cannot hold the reply.", nameof(frame));

        SwapBytes(frame[..MacAddress.Length], frame.Slice(MacAddress.Length, MacAddress.Length));
        Span<byte> ip = frame[EthernetHeader.Length..];
        int udpLength = UdpHeader.Length + payloadLength;
        ReadOnlySpan<byte> source, destination;
        if (isIPv6)
        {
            SwapBytes(ip.Slice(Ipv6Header.SourceOffset, 16), ip.Slice(Ipv6Header.DestinationOffset, 16));
            BinaryPrimitives.WriteUInt16BigEndian(ip[Ipv6Header.PayloadLengthOffset..], (ushort)udpLength);
            ip[Ipv6Header.HopLimitOffset] = Ipv6Header.DefaultHopLimit;
            source = ip.Slice(Ipv6Header.SourceOffset, 16);
            destination = ip.Slice(Ipv6Header.DestinationOffset, 16);
        }
        else
        {
            SwapBytes(ip.Slice(Ipv4Header.SourceOffset, 4), ip.Slice(Ipv4Header.DestinationOffset, 4));
            BinaryPrimitives.WriteUInt16BigEndian(ip[Ipv4Header.TotalLengthOffset..], (ushort)(Ipv4Header.Length + udpLength));
            ip[Ipv4Header.TtlOffset] = Ipv4Header.DefaultTtl;
            Ipv4Header.WriteChecksum(ip);
            source = ip.Slice(Ipv4Header.SourceOffset, 4);
            destination = ip.Slice(Ipv4Header.DestinationOffset, 4);
        }

        Span<byte> datagram = frame.Slice(headers - UdpHeader.Length, udpLength);
        SwapBytes(datagram[..2], datagram.Slice(2, 2));
        BinaryPrimitives.WriteUInt16BigEndian(datagram[UdpHeader.LengthOffset..], (ushort)udpLength);
        UdpChecksum.Write(source, destination, datagram);
        return headers + payloadLength;
    }

    private static void SwapBytes(Span<byte> a, Span<byte> b)
    {
        Span<byte> scratch = stackalloc byte[16];
        a.CopyTo(scratch);
        b.CopyTo(a);
        scratch[..a.Length].CopyTo(b);
    }
}

using System.Buffers.Binary;

namespace FastNtp.Protocol.Frames;

/// <summary>Whether <see cref="UdpFrame.TryParse"/> checks the UDP checksum.</summary>
public enum UdpChecksumPolicy : byte
{
    Verify,
    /// <summary>For frames the kernel marks as checksum-not-ready (offload pending, e.g. TP_STATUS_CSUMNOTREADY on a veth).</summary>
    Skip,
}

/// <summary>
/// A UDP datagram in an Ethernet II frame, over IPv4 without options or IPv6 without extension headers:
/// everything the NTP paths need from a frame, validated once. Headers sit at fixed offsets, so
/// <see cref="UdpFrameWriter"/> can rewrite a parsed frame in place.
/// </summary>
public readonly ref struct UdpFrame
{
    public const int Ipv4HeadersLength = EthernetHeader.Length + Ipv4Header.Length + UdpHeader.Length;
    public const int Ipv6HeadersLength = EthernetHeader.Length + Ipv6Header.Length + UdpHeader.Length;

    private readonly ReadOnlySpan<byte> _frame;

    private UdpFrame(ReadOnlySpan<byte> frame, bool isIPv6)
    {
        _frame = frame;
        IsIPv6 = isIPv6;
    }

    public bool IsIPv6 { get; }

    public MacAddress DestinationMac => MacAddress.Read(_frame);

    public MacAddress SourceMac => MacAddress.Read(_frame[6..]);

    /// <summary>4 bytes for IPv4, 16 for IPv6.</summary>
    public ReadOnlySpan<byte> SourceAddress => IsIPv6
        ? _frame.Slice(EthernetHeader.Length + Ipv6Header.SourceOffset, 16)
        : _frame.Slice(EthernetHeader.Length + Ipv4Header.SourceOffset, 4);

    public ReadOnlySpan<byte> DestinationAddress => IsIPv6
        ? _frame.Slice(EthernetHeader.Length + Ipv6Header.DestinationOffset, 16)
        : _frame.Slice(EthernetHeader.Length + Ipv4Header.DestinationOffset, 4);

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_frame[(HeadersLength(IsIPv6) - UdpHeader.Length)..]);

    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_frame[(HeadersLength(IsIPv6) - UdpHeader.Length + 2)..]);

    public ReadOnlySpan<byte> Payload => _frame[HeadersLength(IsIPv6)..];

    /// <summary>Bytes from the frame start to the end of the datagram (any Ethernet padding after it excluded).</summary>
    public int Length => _frame.Length;

    public static int HeadersLength(bool isIPv6) => isIPv6 ? Ipv6HeadersLength : Ipv4HeadersLength;

    /// <summary>Parses and validates every layer; any frame the codec does not fully understand gets its reason.</summary>
    public static FrameError TryParse(ReadOnlySpan<byte> frame, out UdpFrame udp, UdpChecksumPolicy checksum = UdpChecksumPolicy.Verify)
    {
        udp = default;
        FrameError error = EthernetHeader.TryRead(frame, out EthernetHeader ethernet);
        if (error != FrameError.None) return error;

        bool isIPv6 = ethernet.EtherType == EthernetHeader.EtherTypeIpv6;
        ReadOnlySpan<byte> source, destination, ipPayload;
        if (isIPv6)
        {
            error = Ipv6Header.TryRead(ethernet.Payload, out Ipv6Header ip);
            if (error != FrameError.None) return error;
            source = ip.Source;
            destination = ip.Destination;
            ipPayload = ip.Payload;
        }
        else
        {
            error = Ipv4Header.TryRead(ethernet.Payload, out Ipv4Header ip);
            if (error != FrameError.None) return error;
            if (ip.Protocol != Ipv4Header.ProtocolUdp) return FrameError.NotUdp;
            source = ip.Source;
            destination = ip.Destination;
            ipPayload = ip.Payload;
        }

        error = UdpHeader.TryRead(ipPayload, out UdpHeader header);
        if (error != FrameError.None) return error;
        if (checksum == UdpChecksumPolicy.Verify)
        {
            error = UdpChecksum.Verify(source, destination, header.Datagram);
            if (error != FrameError.None) return error;
        }

        udp = new UdpFrame(frame[..(HeadersLength(isIPv6) + header.Payload.Length)], isIPv6);
        return FrameError.None;
    }
}

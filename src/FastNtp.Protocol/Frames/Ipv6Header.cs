using System.Buffers.Binary;

namespace FastNtp.Protocol.Frames;

/// <summary>The fixed 40-byte IPv6 header (RFC 8200), validated: version, payload length, no extension headers.</summary>
public readonly ref struct Ipv6Header
{
    public const int Length = 40;
    public const byte DefaultHopLimit = 64;
    internal const int PayloadLengthOffset = 4;
    internal const int NextHeaderOffset = 6;
    internal const int HopLimitOffset = 7;
    internal const int SourceOffset = 8;
    internal const int DestinationOffset = 24;

    private readonly ReadOnlySpan<byte> _packet;

    private Ipv6Header(ReadOnlySpan<byte> packet)
    {
        _packet = packet;
    }

    public byte NextHeader => _packet[NextHeaderOffset];

    public byte HopLimit => _packet[HopLimitOffset];

    public ReadOnlySpan<byte> Source => _packet.Slice(SourceOffset, 16);

    public ReadOnlySpan<byte> Destination => _packet.Slice(DestinationOffset, 16);

    /// <summary>The bytes the payload length covers (Ethernet padding excluded).</summary>
    public ReadOnlySpan<byte> Payload => _packet[Length..];

    /// <summary>Reads the header; a next header that is an extension header is reported as such, any other non-UDP one as <see cref="FrameError.NotUdp"/>.</summary>
    public static FrameError TryRead(ReadOnlySpan<byte> packet, out Ipv6Header header)
    {
        header = default;
        if (packet.Length < Length) return FrameError.TruncatedIpv6;
        if (packet[0] >> 4 != 6) return FrameError.BadIpVersion;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[PayloadLengthOffset..]);
        if (payloadLength == 0 || payloadLength > packet.Length - Length) return FrameError.BadIpv6PayloadLength;
        byte next = packet[NextHeaderOffset];
        if (IsExtensionHeader(next)) return FrameError.Ipv6ExtensionHeader;
        if (next != Ipv4Header.ProtocolUdp) return FrameError.NotUdp;
        header = new Ipv6Header(packet[..(Length + payloadLength)]);
        return FrameError.None;
    }

    /// <summary>The IANA "IPv6 Extension Header Types" registry: hop-by-hop, routing, fragment, ESP, AH, destination options, mobility, HIP, shim6, experimental.</summary>
    public static bool IsExtensionHeader(byte nextHeader) => nextHeader is 0 or 43 or 44 or 50 or 51 or 60 or 135 or 139 or 140 or 253 or 254;

    /// <summary>Writes a header with traffic class and flow label zero and hop limit 64.</summary>
    public static void Write(Span<byte> destination, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destinationAddress, byte nextHeader, int payloadLength)
    {
        if (source.Length != 16 || destinationAddress.Length != 16)
            throw new ArgumentException("IPv6 addresses are 16 bytes.", nameof(source));
        if (payloadLength is < 0 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(payloadLength));
        Span<byte> header = destination[..Length];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x6000_0000);
        BinaryPrimitives.WriteUInt16BigEndian(header[PayloadLengthOffset..], (ushort)payloadLength);
        header[NextHeaderOffset] = nextHeader;
        header[HopLimitOffset] = DefaultHopLimit;
        source.CopyTo(header[SourceOffset..]);
        destinationAddress.CopyTo(header[DestinationOffset..]);
    }
}

using System.Buffers.Binary;

namespace FastNtp.Protocol.Frames;

/// <summary>A 20-byte IPv4 header without options (RFC 791), validated: version, IHL 5, lengths, checksum, no fragment.</summary>
public readonly ref struct Ipv4Header
{
    public const int Length = 20;
    public const byte ProtocolUdp = 17;
    public const byte DefaultTtl = 64;
    internal const int TotalLengthOffset = 2;
    internal const int TtlOffset = 8;
    internal const int ChecksumOffset = 10;
    internal const int SourceOffset = 12;
    internal const int DestinationOffset = 16;
    private const ushort MoreFragments = 0x2000;
    private const ushort FragmentOffsetMask = 0x1FFF;
    private const ushort DontFragment = 0x4000;

    private readonly ReadOnlySpan<byte> _packet;

    private Ipv4Header(ReadOnlySpan<byte> packet)
    {
        _packet = packet;
    }

    public byte Protocol => _packet[9];

    public byte Ttl => _packet[TtlOffset];

    public ReadOnlySpan<byte> Source => _packet.Slice(SourceOffset, 4);

    public ReadOnlySpan<byte> Destination => _packet.Slice(DestinationOffset, 4);

    /// <summary>The bytes the total length covers after the header (Ethernet padding excluded).</summary>
    public ReadOnlySpan<byte> Payload => _packet[Length..];

    /// <summary>
    /// Reads the header at the start of <paramref name="packet"/>; the payload is cut to the total length so
    /// Ethernet padding never reaches the layers above.
    /// </summary>
    public static FrameError TryRead(ReadOnlySpan<byte> packet, out Ipv4Header header)
    {
        header = default;
        if (packet.Length < Length) return FrameError.TruncatedIpv4;
        if (packet[0] >> 4 != 4) return FrameError.BadIpVersion;
        int ihl = packet[0] & 0xF;
        if (ihl < 5) return FrameError.BadIpv4HeaderLength;
        if (ihl > 5) return FrameError.Ipv4Options;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[TotalLengthOffset..]);
        if (totalLength < Length || totalLength > packet.Length) return FrameError.BadIpv4TotalLength;
        if (!InternetChecksum.IsValid(packet[..Length])) return FrameError.BadIpv4Checksum;
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        if ((flags & (MoreFragments | FragmentOffsetMask)) != 0) return FrameError.Ipv4Fragment;
        header = new Ipv4Header(packet[..totalLength]);
        return FrameError.None;
    }

    /// <summary>Writes a header without options (DF set, TTL 64, identification 0) and its checksum.</summary>
    public static void Write(Span<byte> destination, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destinationAddress, byte protocol, int payloadLength)
    {
        if (source.Length != 4 || destinationAddress.Length != 4)
            throw new ArgumentException("IPv4 addresses are 4 bytes.", nameof(source));
        if (payloadLength is < 0 or > (ushort.MaxValue - Length))
            throw new ArgumentOutOfRangeException(nameof(payloadLength));
        Span<byte> header = destination[..Length];
        header[0] = 0x45;
        header[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[TotalLengthOffset..], (ushort)(Length + payloadLength));
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], DontFragment);
        header[TtlOffset] = DefaultTtl;
        header[9] = protocol;
        source.CopyTo(header[SourceOffset..]);
        destinationAddress.CopyTo(header[DestinationOffset..]);
        WriteChecksum(header);
    }

    /// <summary>Recomputes the header checksum of a 20-byte header in place.</summary>
    public static void WriteChecksum(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt16BigEndian(header[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(header[ChecksumOffset..], InternetChecksum.Compute(header[..Length]));
    }
}

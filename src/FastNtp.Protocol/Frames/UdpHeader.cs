using System.Buffers.Binary;

namespace FastNtp.Protocol.Frames;

/// <summary>The 8-byte UDP header (RFC 768) over a whole datagram.</summary>
public readonly ref struct UdpHeader
{
    public const int Length = 8;
    internal const int LengthOffset = 4;
    internal const int ChecksumOffset = 6;

    private readonly ReadOnlySpan<byte> _datagram;

    private UdpHeader(ReadOnlySpan<byte> datagram)
    {
        _datagram = datagram;
    }

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_datagram);

    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_datagram[2..]);

    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_datagram[ChecksumOffset..]);

    /// <summary>Header and payload, as the checksum covers them.</summary>
    public ReadOnlySpan<byte> Datagram => _datagram;

    public ReadOnlySpan<byte> Payload => _datagram[Length..];

    /// <summary>Reads the datagram that is the whole IP payload <paramref name="ipPayload"/>: its length field must say exactly that.</summary>
    public static FrameError TryRead(ReadOnlySpan<byte> ipPayload, out UdpHeader header)
    {
        header = default;
        if (ipPayload.Length < Length) return FrameError.TruncatedUdp;
        int length = BinaryPrimitives.ReadUInt16BigEndian(ipPayload[LengthOffset..]);
        if (length != ipPayload.Length) return FrameError.BadUdpLength;
        header = new UdpHeader(ipPayload);
        return FrameError.None;
    }

    /// <summary>Writes ports and length with a zero checksum; <see cref="UdpChecksum.Write"/> fills it once the payload is in place.</summary>
    public static void Write(Span<byte> destination, ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        if (payloadLength is < 0 or > (ushort.MaxValue - Length))
            throw new ArgumentOutOfRangeException(nameof(payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[LengthOffset..], (ushort)(Length + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(destination[ChecksumOffset..], 0);
    }
}

/// <summary>
/// The UDP checksum over the pseudo-header (RFC 768 for IPv4, RFC 8200 section 8.1 for IPv6: addresses,
/// protocol 17 and the UDP length) and the datagram. The address length (4 or 16 bytes) picks the family.
/// </summary>
public static class UdpChecksum
{
    /// <summary>The pseudo-header's running sum; IPv4's 16-bit and IPv6's 32-bit length fields sum alike below 65536.</summary>
    public static ulong PseudoHeaderSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int udpLength)
    {
        ulong sum = InternetChecksum.Add(0, source);
        sum = InternetChecksum.Add(sum, destination);
        return sum + Ipv4Header.ProtocolUdp + (uint)udpLength;
    }

    /// <summary>The checksum of <paramref name="datagram"/> with its checksum field taken as zero; never 0 (sent as 0xFFFF, RFC 768).</summary>
    public static ushort Compute(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> datagram)
    {
        ulong sum = PseudoHeaderSum(source, destination, datagram.Length);
        sum = InternetChecksum.Add(sum, datagram[..UdpHeader.ChecksumOffset]);
        sum = InternetChecksum.Add(sum, datagram[UdpHeader.Length..]);
        ushort checksum = (ushort)~InternetChecksum.Fold(sum);
        return checksum == 0 ? (ushort)0xFFFF : checksum;
    }

    /// <summary>True when the stored checksum matches; a zero checksum is "none" over IPv4 and invalid over IPv6.</summary>
    public static FrameError Verify(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> datagram)
    {
        ushort stored = BinaryPrimitives.ReadUInt16BigEndian(datagram[UdpHeader.ChecksumOffset..]);
        if (stored == 0) return source.Length == 4 ? FrameError.None : FrameError.MissingUdpChecksum;
        ulong sum = InternetChecksum.Add(PseudoHeaderSum(source, destination, datagram.Length), datagram);
        return InternetChecksum.Fold(sum) == 0xFFFF ? FrameError.None : FrameError.BadUdpChecksum;
    }

    /// <summary>
    /// The checksum after covered bytes (an even offset and length of the datagram, or an address or port) changed,
    /// without summing the datagram again; a zero result is sent as 0xFFFF, as a computed one is.
    /// </summary>
    public static ushort Update(ushort checksum, ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes)
    {
        ushort updated = InternetChecksum.Update(checksum, oldBytes, newBytes);
        return updated == 0 ? (ushort)0xFFFF : updated;
    }

    /// <summary>Computes and stores the checksum of a datagram whose header and payload are in place.</summary>
    public static void Write(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, Span<byte> datagram) =>
        BinaryPrimitives.WriteUInt16BigEndian(datagram[UdpHeader.ChecksumOffset..], Compute(source, destination, datagram));
}

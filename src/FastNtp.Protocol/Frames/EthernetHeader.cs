using System.Buffers.Binary;

namespace FastNtp.Protocol.Frames;

/// <summary>An Ethernet II header (destination, source, EtherType) over the start of a frame.</summary>
public readonly ref struct EthernetHeader
{
    public const int Length = 14;
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeIpv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const ushort EtherTypeQinQLegacy = 0x9100;

    private readonly ReadOnlySpan<byte> _frame;

    private EthernetHeader(ReadOnlySpan<byte> frame)
    {
        _frame = frame;
    }

    public MacAddress Destination => MacAddress.Read(_frame);

    public MacAddress Source => MacAddress.Read(_frame[6..]);

    public ushort EtherType => BinaryPrimitives.ReadUInt16BigEndian(_frame[12..]);

    /// <summary>Everything after the header (the IP packet and any Ethernet padding).</summary>
    public ReadOnlySpan<byte> Payload => _frame[Length..];

    /// <summary>Reads the header; IPv4 and IPv6 are the only EtherTypes accepted, VLAN tags are reported as such.</summary>
    public static FrameError TryRead(ReadOnlySpan<byte> frame, out EthernetHeader header)
    {
        header = default;
        if (frame.Length < Length) return FrameError.TruncatedEthernet;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (etherType is EtherTypeVlan or EtherTypeQinQ or EtherTypeQinQLegacy) return FrameError.VlanTagged;
        if (etherType is not (EtherTypeIpv4 or EtherTypeIpv6)) return FrameError.UnsupportedEtherType;
        header = new EthernetHeader(frame);
        return FrameError.None;
    }

    public static void Write(Span<byte> destination, MacAddress destinationMac, MacAddress sourceMac, ushort etherType)
    {
        destinationMac.Write(destination);
        sourceMac.Write(destination[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], etherType);
    }
}

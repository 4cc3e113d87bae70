using System.Buffers.Binary;
using System.Net;

namespace FastNtp.Protocol.Policy;

/// <summary>
/// A client's IP address as 128 bits, IPv4 held in its IPv4-mapped IPv6 form (::ffff:a.b.c.d) so one
/// comparison serves both families and a request seen on a dual-stack socket equals the same request on an
/// IPv4 socket. <see cref="High"/> is the first 8 octets in network order, <see cref="Low"/> the last 8.
/// </summary>
public readonly record struct ClientAddress(ulong High, ulong Low)
{
    public const int Ipv4MappedPrefixLength = 96;

    private const ulong Ipv4MappedLowTag = 0x0000_FFFF_0000_0000;
    private const ulong Ipv4MappedLowMask = 0xFFFF_FFFF_0000_0000;

    public bool IsIPv4 => High == 0 && (Low & Ipv4MappedLowMask) == Ipv4MappedLowTag;

    /// <summary>From the raw address octets of a socket address: 4 (IPv4) or 16 (IPv6); false for any other length.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> octets, out ClientAddress address)
    {
        switch (octets.Length)
        {
            case 4:
                address = FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(octets));
                return true;
            case 16:
                address = new ClientAddress(
                    BinaryPrimitives.ReadUInt64BigEndian(octets), BinaryPrimitives.ReadUInt64BigEndian(octets[8..]));
                return true;
            default:
                address = default;
                return false;
        }
    }

    public static ClientAddress FromIPv4(uint address) => new(0, Ipv4MappedLowTag | address);

    /// <summary>For configuration and tests; the packet path uses <see cref="TryCreate"/> on the socket address octets.</summary>
    public static ClientAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> octets = stackalloc byte[16];
        if (!address.TryWriteBytes(octets, out int written) || !TryCreate(octets[..written], out ClientAddress result))
            throw new ArgumentException($"{address} is neither IPv4 nor IPv6.", nameof(address));
        return result;
    }

    /// <summary>The first <paramref name="prefixLength"/> bits (0 to 128) kept, the rest cleared.</summary>
    public ClientAddress Mask(int prefixLength)
    {
        if (prefixLength >= 128) return this;
        if (prefixLength <= 0) return default;
        if (prefixLength <= 64) return new ClientAddress(High & (ulong.MaxValue << (64 - prefixLength)), 0);
        return new ClientAddress(High, Low & (ulong.MaxValue << (128 - prefixLength)));
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> octets = stackalloc byte[16];
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(octets, (uint)Low);
            return new IPAddress(octets[..4]);
        }

        BinaryPrimitives.WriteUInt64BigEndian(octets, High);
        BinaryPrimitives.WriteUInt64BigEndian(octets[8..], Low);
        return new IPAddress(octets);
    }

    /// <summary>Orders addresses as unsigned 128-bit numbers, for sorted prefix tables.</summary>
    internal static int Compare(in ClientAddress left, in ClientAddress right)
    {
        int high = left.High.CompareTo(right.High);
        return high != 0 ? high : left.Low.CompareTo(right.Low);
    }

    public override string ToString() => ToIPAddress().ToString();
}

using System.Buffers.Binary;

namespace FastNtp.Protocol.Ntp;

/// <summary>The 48-byte NTP header (RFC 5905 figure 8), decoded.</summary>
public struct NtpHeader : IEquatable<NtpHeader>
{
    public const int Length = 48;

    private const int RootDelayOffset = 4;
    private const int RootDispersionOffset = 8;
    private const int ReferenceIdOffset = 12;
    internal const int ReferenceTimeOffset = 16;
    internal const int OriginTimeOffset = 24;
    internal const int ReceiveTimeOffset = 32;
    internal const int TransmitTimeOffset = 40;

    public LeapIndicator Leap;
    /// <summary>Three bits on the wire: 0 to 7.</summary>
    public byte Version;
    public NtpMode Mode;
    public byte Stratum;
    public sbyte Poll;
    public sbyte Precision;
    /// <summary>NTP short format (16.16 unsigned seconds), kept raw so a decoded header re-encodes to the same bytes.</summary>
    public uint RootDelay;
    /// <summary>NTP short format, like <see cref="RootDelay"/>.</summary>
    public uint RootDispersion;
    public ReferenceId ReferenceId;
    public NtpTimestamp ReferenceTime;
    public NtpTimestamp OriginTime;
    public NtpTimestamp ReceiveTime;
    public NtpTimestamp TransmitTime;

    /// <summary>Decodes the first 48 bytes; false when there are fewer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out NtpHeader header)
    {
        if (packet.Length < Length)
        {
            header = default;
            return false;
        }

        header = Read(packet);
        return true;
    }

    private static NtpHeader Read(ReadOnlySpan<byte> packet)
    {
        byte first = packet[0];
        return new NtpHeader
        {
            Leap = (LeapIndicator)(first >> 6),
            Version = (byte)((first >> 3) & 0x7),
            Mode = (NtpMode)(first & 0x7),
            Stratum = packet[1],
            Poll = (sbyte)packet[2],
            Precision = (sbyte)packet[3],
            RootDelay = BinaryPrimitives.ReadUInt32BigEndian(packet[RootDelayOffset..]),
            RootDispersion = BinaryPrimitives.ReadUInt32BigEndian(packet[RootDispersionOffset..]),
            ReferenceId = new ReferenceId(BinaryPrimitives.ReadUInt32BigEndian(packet[ReferenceIdOffset..])),
            ReferenceTime = NtpTimestamp.Read(packet[ReferenceTimeOffset..]),
            OriginTime = NtpTimestamp.Read(packet[OriginTimeOffset..]),
            ReceiveTime = NtpTimestamp.Read(packet[ReceiveTimeOffset..]),
            TransmitTime = NtpTimestamp.Read(packet[TransmitTimeOffset..]),
        };
    }

    /// <summary>Encodes into the first 48 bytes of <paramref name="destination"/>, which must hold them.</summary>
    public readonly void Write(Span<byte> destination)
    {
        if (destination.Length < Length)
            throw new ArgumentException("An NTP header needs 48 bytes.", nameof(destination));

        destination[0] = FirstByte(Leap, Version, Mode);
        destination[1] = Stratum;
        destination[2] = (byte)Poll;
        destination[3] = (byte)Precision;
        BinaryPrimitives.WriteUInt32BigEndian(destination[RootDelayOffset..], RootDelay);
        BinaryPrimitives.WriteUInt32BigEndian(destination[RootDispersionOffset..], RootDispersion);
        BinaryPrimitives.WriteUInt32BigEndian(destination[ReferenceIdOffset..], ReferenceId.Value);
        ReferenceTime.Write(destination[ReferenceTimeOffset..]);
        OriginTime.Write(destination[OriginTimeOffset..]);
        ReceiveTime.Write(destination[ReceiveTimeOffset..]);
        TransmitTime.Write(destination[TransmitTimeOffset..]);
    }

    public static byte FirstByte(LeapIndicator leap, byte version, NtpMode mode) =>
        (byte)(((byte)leap << 6) | ((version & 0x7) << 3) | ((byte)mode & 0x7));

    /// <summary>Overwrites only the transmit timestamp of an encoded packet, the last thing set before sending.</summary>
    public static void WriteTransmitTime(Span<byte> packet, NtpTimestamp transmitTime) =>
        transmitTime.Write(packet[TransmitTimeOffset..]);

    public static NtpTimestamp ReadTransmitTime(ReadOnlySpan<byte> packet) => NtpTimestamp.Read(packet[TransmitTimeOffset..]);

    public static NtpTimestamp ReadOriginTime(ReadOnlySpan<byte> packet) => NtpTimestamp.Read(packet[OriginTimeOffset..]);

    public static NtpTimestamp ReadReceiveTime(ReadOnlySpan<byte> packet) => NtpTimestamp.Read(packet[ReceiveTimeOffset..]);

    public readonly bool Equals(NtpHeader other) =>
        Leap == other.Leap && Version == other.Version && Mode == other.Mode && Stratum == other.Stratum &&
        Poll == other.Poll && Precision == other.Precision && RootDelay == other.RootDelay &&
        RootDispersion == other.RootDispersion && ReferenceId == other.ReferenceId &&
        ReferenceTime == other.ReferenceTime && OriginTime == other.OriginTime &&
        ReceiveTime == other.ReceiveTime && TransmitTime == other.TransmitTime;

    public override readonly bool Equals(object? obj) => obj is NtpHeader other && Equals(other);

    public override readonly int GetHashCode() =>
        HashCode.Combine(Leap, Version, Mode, Stratum, ReferenceId, TransmitTime, OriginTime, ReceiveTime);

    public static bool operator ==(NtpHeader left, NtpHeader right) => left.Equals(right);

    public static bool operator !=(NtpHeader left, NtpHeader right) => !left.Equals(right);
}

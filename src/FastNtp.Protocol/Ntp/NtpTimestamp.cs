using System.Buffers.Binary;

namespace FastNtp.Protocol.Ntp;

/// <summary>
/// An NTP timestamp as it travels: 32 bits of seconds and 32 bits of fraction since the start of the
/// current era. Era 0 began 1900-01-01; era 1 begins 2036-02-07T06:28:16Z. The wire format carries no
/// era, so conversions to absolute time take a pivot and pick the era that lands nearest to it.
/// </summary>
public readonly record struct NtpTimestamp(ulong Value) : IComparable<NtpTimestamp>
{
    /// <summary>Seconds from 1900-01-01 (the NTP prime epoch) to 1970-01-01 (the Unix epoch).</summary>
    public const long UnixEpochOffsetSeconds = 2_208_988_800;

    public const int Length = 8;

    private const long NanosecondsPerSecond = 1_000_000_000;

    public static readonly NtpTimestamp Zero = new(0UL);

    public uint Seconds => (uint)(Value >> 32);

    public uint Fraction => (uint)Value;

    public bool IsZero => Value == 0;

    public static NtpTimestamp FromParts(uint seconds, uint fraction) => new(((ulong)seconds << 32) | fraction);

    public static NtpTimestamp Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64BigEndian(source));

    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, Value);

    /// <summary>Converts Unix time in nanoseconds; the era number is dropped, as on the wire.</summary>
    public static NtpTimestamp FromUnixNanoseconds(long unixNanoseconds)
    {
        long seconds = Math.DivRem(unixNanoseconds, NanosecondsPerSecond, out long nanos);
        if (nanos < 0)
        {
            nanos += NanosecondsPerSecond;
            seconds--;
        }

        ulong ntpSeconds = unchecked((ulong)(seconds + UnixEpochOffsetSeconds)) & 0xFFFF_FFFF;
        // Round the fraction up: ToUnixNanoseconds truncates, so every nanosecond value then reads back exactly.
        ulong fraction = (ulong)((((UInt128)(ulong)nanos << 32) + (NanosecondsPerSecond - 1)) / NanosecondsPerSecond);
        return new NtpTimestamp((ntpSeconds << 32) | fraction);
    }

    public static NtpTimestamp FromDateTime(DateTime utc) =>
        FromUnixNanoseconds((utc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100);

    /// <summary>Unix nanoseconds of this timestamp in the era that places it within 68 years of the pivot.</summary>
    public long ToUnixNanoseconds(long pivotUnixNanoseconds)
    {
        long pivotSeconds = Math.DivRem(pivotUnixNanoseconds, NanosecondsPerSecond, out long pivotNanos);
        if (pivotNanos < 0) pivotSeconds--;
        long pivotNtpSeconds = pivotSeconds + UnixEpochOffsetSeconds;

        // The signed 32-bit distance from the pivot's position within its era picks the nearest era.
        int delta = unchecked((int)(Seconds - (uint)pivotNtpSeconds));
        long ntpSeconds = pivotNtpSeconds + delta;
        long nanos = (long)(((ulong)Fraction * NanosecondsPerSecond) >> 32);
        return (ntpSeconds - UnixEpochOffsetSeconds) * NanosecondsPerSecond + nanos;
    }

    public DateTime ToDateTime(DateTime pivotUtc)
    {
        long pivotNanos = (pivotUtc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
        // Floor to whole ticks on both sides of 1970, as the fraction already floors to nanoseconds.
        long ticks = Math.DivRem(ToUnixNanoseconds(pivotNanos), 100, out long rest);
        return DateTime.UnixEpoch.AddTicks(rest < 0 ? ticks - 1 : ticks);
    }

    /// <summary>The era-independent difference: correct whenever the two lie within 68 years of each other.</summary>
    public static NtpDuration operator -(NtpTimestamp a, NtpTimestamp b) => new(unchecked((long)(a.Value - b.Value)));

    public static NtpTimestamp operator +(NtpTimestamp t, NtpDuration d) => new(unchecked(t.Value + (ulong)d.Raw));

    public static NtpTimestamp operator -(NtpTimestamp t, NtpDuration d) => new(unchecked(t.Value - (ulong)d.Raw));

    /// <summary>Orders by distance in the circular timestamp space, so the order holds across an era boundary.</summary>
    public int CompareTo(NtpTimestamp other) => (this - other).Raw.CompareTo(0);

    public override string ToString() => $"{Seconds:x8}.{Fraction:x8}";
}

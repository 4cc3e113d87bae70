namespace FastNtp.Protocol.Ntp;

/// <summary>
/// A signed time interval in NTP's 32.32 fixed-point seconds (units of 2^-32 s, about 233 ps),
/// the width that timestamp differences need without rounding.
/// </summary>
public readonly record struct NtpDuration(long Raw) : IComparable<NtpDuration>
{
    private const double UnitsPerSecond = 4294967296.0;

    public static readonly NtpDuration Zero = new(0);
    public static readonly NtpDuration MaxValue = new(long.MaxValue);

    public static NtpDuration FromSeconds(double seconds)
    {
        double raw = seconds * UnitsPerSecond;
        if (double.IsNaN(raw)) return Zero;
        if (raw >= long.MaxValue) return MaxValue;
        if (raw <= long.MinValue) return new NtpDuration(long.MinValue);
        return new NtpDuration((long)raw);
    }

    /// <summary>Rounds up to the next 2^-32 s so that <see cref="TotalNanoseconds"/> (which floors) reads back exactly;
    /// saturates beyond the 68 years the type holds.</summary>
    public static NtpDuration FromNanoseconds(long nanoseconds)
    {
        // Division truncates toward zero, which is already upward for negative values.
        (Int128 quotient, Int128 remainder) = Int128.DivRem((Int128)nanoseconds << 32, 1_000_000_000);
        Int128 raw = remainder > 0 ? quotient + 1 : quotient;
        if (raw > long.MaxValue) return MaxValue;
        if (raw < long.MinValue) return new NtpDuration(long.MinValue);
        return new NtpDuration((long)raw);
    }

    public static NtpDuration FromMilliseconds(double milliseconds) => FromSeconds(milliseconds / 1000.0);

    /// <summary>Reads NTP short format (unsigned 16.16 seconds), as root delay and dispersion travel.</summary>
    public static NtpDuration FromShortFormat(uint shortFormat) => new((long)shortFormat << 16);

    public double TotalSeconds => Raw / UnitsPerSecond;

    public double TotalMilliseconds => Raw / UnitsPerSecond * 1000.0;

    public long TotalNanoseconds => (long)(((Int128)Raw * 1_000_000_000) >> 32);

    /// <summary>NTP short format: negative values clamp to zero and values of 65536 s or more saturate.</summary>
    public uint ToShortFormat()
    {
        if (Raw <= 0) return 0;
        long units = Raw >> 16;
        return units > uint.MaxValue ? uint.MaxValue : (uint)units;
    }

    public NtpDuration Abs() => Raw < 0 ? new NtpDuration(Raw == long.MinValue ? long.MaxValue : -Raw) : this;

    public static NtpDuration operator +(NtpDuration a, NtpDuration b) => new(SaturatingAdd(a.Raw, b.Raw));

    public static NtpDuration operator -(NtpDuration a, NtpDuration b) =>
        new(b.Raw == long.MinValue ? SaturatingAdd(SaturatingAdd(a.Raw, long.MaxValue), 1) : SaturatingAdd(a.Raw, -b.Raw));

    public static NtpDuration operator -(NtpDuration a) => new(a.Raw == long.MinValue ? long.MaxValue : -a.Raw);

    /// <summary>Truncates toward zero; the one overflowing quotient (the minimum over -1) saturates.</summary>
    public static NtpDuration operator /(NtpDuration a, long divisor) =>
        divisor == -1 ? -a : new(a.Raw / divisor);

    public static bool operator <(NtpDuration a, NtpDuration b) => a.Raw < b.Raw;
    public static bool operator >(NtpDuration a, NtpDuration b) => a.Raw > b.Raw;
    public static bool operator <=(NtpDuration a, NtpDuration b) => a.Raw <= b.Raw;
    public static bool operator >=(NtpDuration a, NtpDuration b) => a.Raw >= b.Raw;

    public static NtpDuration Max(NtpDuration a, NtpDuration b) => a.Raw >= b.Raw ? a : b;
    public static NtpDuration Min(NtpDuration a, NtpDuration b) => a.Raw <= b.Raw ? a : b;

    public int CompareTo(NtpDuration other) => Raw.CompareTo(other.Raw);

    public override string ToString() =>
        TotalSeconds.ToString("0.000000###", System.Globalization.CultureInfo.InvariantCulture) + " s";

    private static long SaturatingAdd(long a, long b)
    {
        long sum = unchecked(a + b);
        // Overflow happened when both operands share a sign that the sum does not.
        if (((a ^ sum) & (b ^ sum)) < 0) return a < 0 ? long.MinValue : long.MaxValue;
        return sum;
    }
}

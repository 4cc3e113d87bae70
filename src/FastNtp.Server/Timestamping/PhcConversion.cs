namespace FastNtp.Server.Timestamping;

/// <summary>
/// An immutable line from PHC time to system time: system = <see cref="SystemReference"/> + elapsed × <see cref="Rate"/>,
/// elapsed = PHC − <see cref="PhcReference"/>. Workers read it without locks; the tracker publishes a new one.
/// </summary>
/// <remarks>
/// Times stay 64-bit integers (a PHC that counts from boot is about 1.7 × 10^18 ns from the system clock); only the
/// elapsed part, seconds long, meets a double, as <see cref="Rate"/> − 1 so the product keeps sub-nanosecond precision.
/// </remarks>
public sealed class PhcConversion
{
    /// <summary>
    /// How far from its last sample the line is trusted. The tracker samples every second; a stamp further away
    /// than this means sampling stopped, and a stale line would place stamps wrongly, so they stay software ones.
    /// </summary>
    public const long MaxExtrapolationNanoseconds = 16_000_000_000;

    public PhcConversion(long phcReference, long systemReference, double rate)
    {
        PhcReference = phcReference;
        SystemReference = systemReference;
        Rate = rate;
        _rateMinusOne = rate - 1;
    }

    private readonly double _rateMinusOne;

    public long PhcReference { get; }

    public long SystemReference { get; }

    /// <summary>System nanoseconds per PHC nanosecond.</summary>
    public double Rate { get; }

    /// <summary>How fast the PHC runs against the system clock, ppm (positive: the PHC gains).</summary>
    public double PhcFrequencyPpm => (1 / Rate - 1) * 1e6;

    /// <summary>The PHC's offset from the system clock at the reference (PHC − system), nanoseconds.</summary>
    public long OffsetNanoseconds => PhcReference - SystemReference;

    /// <summary>The system time of a PHC time; false beyond <see cref="MaxExtrapolationNanoseconds"/> from the reference.</summary>
    public bool TryToSystem(long phcNanoseconds, out long systemNanoseconds)
    {
        // Compared before subtracting, so a wild stamp cannot overflow into range.
        if (phcNanoseconds < PhcReference - MaxExtrapolationNanoseconds || phcNanoseconds > PhcReference + MaxExtrapolationNanoseconds)
        {
            systemNanoseconds = 0;
            return false;
        }

        long elapsed = phcNanoseconds - PhcReference;
        systemNanoseconds = SystemReference + elapsed + (long)Math.Round(elapsed * _rateMinusOne);
        return true;
    }
}

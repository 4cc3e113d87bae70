using FastNtp.Protocol.Leap;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Server;

/// <summary>
/// The server's advertised state, immutable so worker threads can read it without locks; a new instance
/// is published whenever the synchronizer (or the local clock) changes it.
/// </summary>
public sealed record ServerSnapshot
{
    /// <summary>RFC 5905's PHI: the frequency tolerance by which dispersion grows, in ppm.</summary>
    public const long DispersionGrowthPpm = 15;

    public const byte UnsynchronizedStratum = 16;

    public required LeapIndicator Leap { get; init; }
    public required byte Stratum { get; init; }
    /// <summary>log2 seconds of the clock's resolution and read latency.</summary>
    public required sbyte Precision { get; init; }
    public required NtpDuration RootDelay { get; init; }
    /// <summary>Root dispersion as of <see cref="ReferenceTime"/>; it grows by 15 ppm from there.</summary>
    public required NtpDuration RootDispersion { get; init; }
    public required ReferenceId ReferenceId { get; init; }
    public required NtpTimestamp ReferenceTime { get; init; }

    /// <summary>TAI − UTC in seconds, from the leap-second file (0 without one).</summary>
    public int TaiOffset { get; init; }

    /// <summary>The leap smear served times follow, within its window; null otherwise.</summary>
    public LeapSmear? Smear { get; init; }

    /// <summary>A smear or a leap is near: the XDP program, which cannot smear or follow the leap exactly, passes requests up.</summary>
    public bool InLeapWindow { get; init; }

    public bool IsSynchronized => Leap != LeapIndicator.Unsynchronized && Stratum < UnsynchronizedStratum;

    /// <summary>What a server with no usable time source advertises: alarm, stratum 16, so clients ignore it.</summary>
    public static ServerSnapshot Unsynchronized(sbyte precision) => new()
    {
        Leap = LeapIndicator.Unsynchronized,
        Stratum = UnsynchronizedStratum,
        Precision = precision,
        RootDelay = NtpDuration.Zero,
        RootDispersion = NtpDuration.Zero,
        ReferenceId = ReferenceId.Initializing,
        ReferenceTime = NtpTimestamp.Zero,
    };

    /// <summary>A free-running local clock served at a fixed stratum, reference id LOCL.</summary>
    public static ServerSnapshot LocalClock(byte stratum, sbyte precision, NtpTimestamp referenceTime)
    {
        if (stratum is 0 or >= UnsynchronizedStratum)
            throw new ArgumentOutOfRangeException(nameof(stratum), stratum, "A local stratum is 1 to 15.");

        return new ServerSnapshot
        {
            Leap = LeapIndicator.NoWarning,
            Stratum = stratum,
            Precision = precision,
            RootDelay = NtpDuration.Zero,
            RootDispersion = NtpDuration.Zero,
            ReferenceId = ReferenceId.Local,
            ReferenceTime = referenceTime,
        };
    }

    /// <summary>
    /// The timestamp to put on the wire for a reading of the system clock: the reading itself, or smeared within a
    /// smear's window. Root dispersion is not widened by the smear: it is a deliberate, exactly known offset from
    /// UTC that every server of a smearing fleet serves alike, not an error of the smeared time scale.
    /// </summary>
    public NtpTimestamp ServedTime(NtpTimestamp systemTime) => Smear is { } smear ? smear.Serve(systemTime) : systemTime;

    /// <summary>Root dispersion at <paramref name="now"/>, in NTP short format: grown by 15 ppm of the age.</summary>
    public uint RootDispersionAt(NtpTimestamp now)
    {
        if (ReferenceTime.IsZero) return RootDispersion.ToShortFormat();
        long age = (now - ReferenceTime).Raw;
        if (age <= 0) return RootDispersion.ToShortFormat();
        // 15 ppm in exact integer arithmetic (floor of age * 15 / 10^6, no overflow), so the XDP program,
        // which has no floating point, computes the very same value.
        long growth = (age / 1_000_000 * DispersionGrowthPpm) + (age % 1_000_000 * DispersionGrowthPpm / 1_000_000);
        return (RootDispersion + new NtpDuration(growth)).ToShortFormat();
    }
}

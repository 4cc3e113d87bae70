using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Protocol.Leap;

/// <summary>What the leap-second file means for the served state at one instant; <see cref="ApplyTo"/> puts it on a snapshot.</summary>
public sealed record LeapAnnouncement
{
    /// <summary>TAI − UTC now, seconds.</summary>
    public required int TaiOffset { get; init; }

    /// <summary>The leap the file schedules at the end of this UTC day, for the kernel; <see cref="LeapIndicator.NoWarning"/> on other days.</summary>
    public required LeapIndicator Scheduled { get; init; }

    /// <summary>What clients are told; null leaves the snapshot source's (the upstream majority's) indicator, when the file has no say.</summary>
    public required LeapIndicator? Announced { get; init; }

    /// <summary>The smear served from, within its window (and a margin around it).</summary>
    public LeapSmear? Smear { get; init; }

    /// <summary>A smear or a leap is near: the XDP program leaves requests to the responder.</summary>
    public bool InLeapWindow { get; init; }

    /// <summary>An unsynchronized source stays unsynchronized: its alarm is not a leap announcement.</summary>
    public ServerSnapshot ApplyTo(ServerSnapshot source) => source with
    {
        Leap = source.Leap == LeapIndicator.Unsynchronized || Announced is null ? source.Leap : Announced.Value,
        TaiOffset = TaiOffset,
        Smear = Smear,
        InLeapWindow = InLeapWindow,
    };
}

/// <summary>
/// Turns a <see cref="LeapSecondList"/> and the time into a <see cref="LeapAnnouncement"/>. A leap is announced
/// during the last UTC day before it, as RFC 5905 servers do (the list gives the instant after the leap, so from
/// 24 h before that instant); with a smear nothing is announced, and served time is smeared instead. The file is
/// the authority while it is not expired; an expired file still announces a leap it lists, and otherwise leaves
/// the indicator to the upstream sources.
/// </summary>
/// <param name="smearWindow">The smear's window, or null for no smear.</param>
public sealed class LeapPlan(LeapSecondList list, NtpDuration? smearWindow)
{
    /// <summary>How long before the file expires a warning is raised: four weeks, time for a packaged tzdata update to arrive.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(28);

    /// <summary>A leap is announced this long before its instant: the last day of the month.</summary>
    public const long AnnounceSeconds = 86_400;

    /// <summary>
    /// Seconds on each side of an unsmeared leap (and of a smear's window) during which the driver path passes:
    /// the XDP program converts CLOCK_TAI with an offset its map receives up to a heartbeat late.
    /// </summary>
    public const long DriverMarginSeconds = 10;

    public LeapSecondList List => list;

    public bool IsExpired(long unixSeconds) => unixSeconds >= list.ExpiresUnixSeconds;

    public bool ExpiresSoon(long unixSeconds) => unixSeconds >= list.ExpiresUnixSeconds - (long)ExpiryWarning.TotalSeconds;

    /// <summary>Within <see cref="DriverMarginSeconds"/> of a leap: the kernel's progress through it is worth watching closely.</summary>
    public bool IsNearLeap(long unixSeconds)
    {
        foreach (LeapEntry entry in list.Entries)
        {
            if (Math.Abs(unixSeconds - entry.UnixSeconds) <= DriverMarginSeconds) return true;
        }

        return false;
    }

    /// <param name="clockPastLeap">The kernel reports the leap applied (inside or after an inserted second).</param>
    public LeapAnnouncement At(long unixNanoseconds, bool clockPastLeap)
    {
        long now = Math.DivRem(unixNanoseconds, 1_000_000_000, out long rest) - (rest < 0 ? 1 : 0);
        long halfWindow = smearWindow is { } w ? (w.Raw >> 32) / 2 + 1 : 0;

        LeapIndicator scheduled = LeapIndicator.NoWarning;
        LeapSmear? smear = null;
        bool inWindow = false;
        IReadOnlyList<LeapEntry> entries = list.Entries;
        for (int i = 1; i < entries.Count; i++)
        {
            long leap = entries[i].UnixSeconds;
            // Entries are ordered: the first whose window has not ended is the only one that can matter now.
            if (now > leap + halfWindow + DriverMarginSeconds) continue;
            int direction = entries[i].TaiOffset - entries[i - 1].TaiOffset;
            if (now >= leap - AnnounceSeconds && now < leap)
                scheduled = direction > 0 ? LeapIndicator.InsertSecond : LeapIndicator.DeleteSecond;
            inWindow = now >= leap - halfWindow - DriverMarginSeconds;
            if (inWindow && smearWindow is { } window)
                smear = new LeapSmear(NtpTimestamp.FromUnixNanoseconds(leap * 1_000_000_000), direction, window, clockPastLeap);
            break;
        }

        LeapIndicator? announced = smearWindow is not null ? LeapIndicator.NoWarning
            : !IsExpired(now) || scheduled != LeapIndicator.NoWarning ? scheduled
            : null;
        return new LeapAnnouncement
        {
            TaiOffset = list.TaiOffsetAt(now),
            Scheduled = scheduled,
            Announced = announced,
            Smear = smear,
            InLeapWindow = inWindow,
        };
    }
}

using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Leap;

/// <summary>
/// A linear leap smear over a window centred on the leap (Google's noon to noon for 24 h): served time runs
/// slower (inserted second) or faster (deleted second) than UTC by <c>1 / (window ± 1 s)</c>, so it absorbs the
/// leap second without a step and meets UTC exactly at both ends of the window. The server's own clock keeps
/// UTC with its real leap; only the timestamps it serves are moved.
/// </summary>
/// <param name="Leap">The first instant after the leap, as leap-seconds.list gives it (00:00:00 UTC of the 1st).</param>
/// <param name="Direction">+1 for an inserted second, −1 for a deleted one.</param>
/// <param name="Window">The window's length in UTC labels: it starts <c>Window / 2</c> before <paramref name="Leap"/> and ends <c>Window / 2</c> after.</param>
/// <param name="ClockPastLeap">
/// The system clock has already applied the leap. An inserted second repeats the clock's last second before
/// <paramref name="Leap"/>, which its reading alone cannot tell from the first pass; the kernel's state can.
/// </param>
public readonly record struct LeapSmear(NtpTimestamp Leap, int Direction, NtpDuration Window, bool ClockPastLeap)
{
    private static readonly NtpDuration OneSecond = NtpDuration.FromSeconds(1);

    public NtpTimestamp Start => Leap - Window / 2;

    public NtpTimestamp End => Leap + Window / 2;

    /// <summary>
    /// How far smeared time is from the leap-free time scale (UTC before the leap, UTC + <see cref="Direction"/>
    /// after it) at <paramref name="leapFree"/>: exactly 0 up to <see cref="Start"/>, then linear, exactly
    /// −<see cref="Direction"/> seconds from <see cref="End"/> on.
    /// </summary>
    public NtpDuration OffsetAt(NtpTimestamp leapFree)
    {
        long elapsed = (leapFree - Start).Raw;
        if (elapsed <= 0) return NtpDuration.Zero;
        // The window lasts Window ± 1 SI seconds: its UTC labels span Window, plus the inserted (less the deleted) second.
        long duration = Window.Raw + Direction * OneSecond.Raw;
        if (elapsed >= duration) return new NtpDuration(-Direction * OneSecond.Raw);
        return new NtpDuration((long)(-Direction * (Int128)elapsed * OneSecond.Raw / duration));
    }

    /// <summary>The time to serve for a reading of the system clock (which keeps UTC and applies the leap).</summary>
    public NtpTimestamp Serve(NtpTimestamp systemTime)
    {
        bool pastLeap = ClockPastLeap || (systemTime - Leap).Raw >= 0;
        NtpTimestamp leapFree = pastLeap ? systemTime + new NtpDuration(Direction * OneSecond.Raw) : systemTime;
        return leapFree + OffsetAt(leapFree);
    }
}

using FastNtp.Interop.Time;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Server.Hosting;

/// <summary>The system's wall clock as NTP time: nanosecond CLOCK_REALTIME on Linux, DateTime elsewhere.</summary>
public readonly struct RealtimeClock : IClock
{
    public NtpTimestamp Now() => NtpTimestamp.FromUnixNanoseconds(UnixNanoseconds());

    /// <summary>The same clock the kernel stamps received packets with (SO_TIMESTAMPNS).</summary>
    public static long UnixNanoseconds() =>
        OperatingSystem.IsLinux()
            ? SystemRealtime.UnixNanoseconds()
            : (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}

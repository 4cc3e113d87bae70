using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Server.Hosting;

/// <summary>The system's wall clock as NTP time.</summary>
public readonly struct RealtimeClock : IClock
{
    public NtpTimestamp Now() => NtpTimestamp.FromUnixNanoseconds((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
}

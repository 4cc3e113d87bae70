using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Tests.Shared;

/// <summary>A clock stopped at one time: every reading returns it.</summary>
internal readonly struct FixedClock(NtpTimestamp time) : IClock
{
    public NtpTimestamp Time => time;

    public NtpTimestamp Now() => time;
}

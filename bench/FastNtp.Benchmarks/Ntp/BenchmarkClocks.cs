using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Benchmarks.Ntp;

/// <summary>A clock that costs nothing, so a benchmark measures the code around it.</summary>
internal struct CountingClock : IClock
{
    private ulong _value;

    public NtpTimestamp Now() => new(0xEC00_0000_0000_0000UL + ++_value);
}

/// <summary>The wall clock (clock_gettime(CLOCK_REALTIME) underneath on Linux), as a server reads it.</summary>
internal readonly struct WallClock : IClock
{
    public NtpTimestamp Now() => NtpTimestamp.FromDateTime(DateTime.UtcNow);
}

internal static class NtpRequests
{
    public static byte[] Client(ulong transmit)
    {
        byte[] request = new byte[NtpHeader.Length];
        new NtpHeader
        {
            Version = 4,
            Mode = NtpMode.Client,
            Poll = 6,
            TransmitTime = new NtpTimestamp(transmit),
        }.Write(request);
        return request;
    }
}

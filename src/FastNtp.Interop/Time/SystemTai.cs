using FastNtp.Interop.Sockets;

namespace FastNtp.Interop.Time;

/// <summary>CLOCK_TAI: CLOCK_REALTIME plus the kernel's TAI−UTC offset, the clock an XDP program can read.</summary>
public static unsafe class SystemTai
{
    private const int ClockTai = 11;

    public static long Nanoseconds()
    {
        TimeSpec ts;
        _ = Interop.Libc.ClockGetTime(ClockTai, &ts);
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }
}

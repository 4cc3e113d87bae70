using FastNtp.Interop.Sockets;

namespace FastNtp.Interop.Time;

/// <summary>CLOCK_REALTIME at nanosecond resolution through the vDSO (tens of nanoseconds, no system call).</summary>
public static unsafe class SystemRealtime
{
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Nanoseconds since the Unix epoch, the same clock SO_TIMESTAMPNS stamps packets with.</summary>
    public static long UnixNanoseconds()
    {
        TimeSpec ts;
        _ = Interop.Libc.ClockGetTime(LinuxConstants.CLOCK_REALTIME, &ts);
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }
}

using System.Diagnostics;

namespace FastNtp.Server.Engine;

/// <summary>
/// The time base of the client policy: monotonic nanoseconds (CLOCK_MONOTONIC on Linux), which neither steps
/// nor slews with the served time. The client log's "last seen" is measured against the same base.
/// </summary>
internal static class MonotonicTime
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public static long Nanoseconds()
    {
        long ticks = Stopwatch.GetTimestamp();
        return Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * NanosecondsPerTick);
    }
}

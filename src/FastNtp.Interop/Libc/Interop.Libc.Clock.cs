using System.Runtime.InteropServices;
using FastNtp.Interop.Clock;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // No SetLastError: CLOCK_REALTIME with a valid pointer cannot fail, and skipping errno capture keeps it cheap.
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "clock_gettime")]
        [SuppressGCTransition]
        internal static unsafe partial int ClockGetTime(int clockId, TimeSpec* time);

        /// <summary>Reads (modes 0) or adjusts a clock; returns the clock state (TIME_OK ... TIME_ERROR) or -1.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "clock_adjtime", SetLastError = true)]
        internal static partial int ClockAdjtime(int clockId, ref Timex buffer);
    }
}

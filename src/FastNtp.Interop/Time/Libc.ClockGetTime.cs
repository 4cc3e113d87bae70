using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop.Time;

internal static partial class Libc
{
    // No SetLastError: CLOCK_REALTIME or CLOCK_TAI with a valid pointer cannot fail, and skipping errno capture keeps it cheap.
    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [SuppressGCTransition]
    internal static unsafe partial int ClockGetTime(int clockId, TimeSpec* time);
}

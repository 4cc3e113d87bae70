using System.Runtime.InteropServices;
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
    }
}

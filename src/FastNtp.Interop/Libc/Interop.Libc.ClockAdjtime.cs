using System.Runtime.InteropServices;
using FastNtp.Interop.Clock;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>Reads (modes 0) or adjusts a clock; returns the clock state (TIME_OK ... TIME_ERROR) or -1.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "clock_adjtime", SetLastError = true)]
        internal static partial int ClockAdjtime(int clockId, ref Timex buffer);
    }
}

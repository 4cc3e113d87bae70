using System.Runtime.InteropServices;
using FastNtp.Interop.Clock;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>The CLOCK_REALTIME-only form of clock_adjtime, present on every Linux libc.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "adjtimex", SetLastError = true)]
        internal static partial int Adjtimex(ref Timex buffer);
    }
}

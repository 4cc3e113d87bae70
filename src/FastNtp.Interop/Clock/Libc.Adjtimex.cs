using System.Runtime.InteropServices;

namespace FastNtp.Interop.Clock;

internal static partial class Libc
{
    /// <summary>The CLOCK_REALTIME-only form of clock_adjtime, present on every Linux libc.</summary>
    [LibraryImport("libc", EntryPoint = "adjtimex", SetLastError = true)]
    internal static partial int Adjtimex(ref Timex buffer);
}

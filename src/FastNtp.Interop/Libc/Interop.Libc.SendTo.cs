using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
        internal static unsafe partial nint SendTo(SafeHandle fd, void* buffer, nuint length, int flags, void* address, uint addressLength);
    }
}

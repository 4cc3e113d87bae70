using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "sendmmsg", SetLastError = true)]
        internal static unsafe partial int SendMmsg(SafeHandle fd, MMsgHdr* messages, uint count, int flags);
    }
}

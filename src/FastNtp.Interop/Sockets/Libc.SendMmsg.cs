using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "sendmmsg", SetLastError = true)]
    internal static unsafe partial int SendMmsg(SafeHandle fd, MMsgHdr* messages, uint count, int flags);
}

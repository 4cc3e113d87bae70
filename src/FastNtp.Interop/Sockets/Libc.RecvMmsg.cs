using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "recvmmsg", SetLastError = true)]
    internal static unsafe partial int RecvMmsg(SafeHandle fd, MMsgHdr* messages, uint count, int flags, TimeSpec* timeout);
}

using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "getsockopt", SetLastError = true)]
    internal static unsafe partial int GetSockOpt(SafeHandle fd, int level, int name, void* value, uint* valueLength);
}

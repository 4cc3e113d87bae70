using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);
}

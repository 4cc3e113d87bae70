using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}

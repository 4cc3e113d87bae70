using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "bind", SetLastError = true)]
    internal static unsafe partial int Bind(SafeHandle fd, byte* address, uint addressLength);
}

using System.Runtime.InteropServices;

namespace FastNtp.LoadTest.Native;

internal static partial class Libc
{
    /// <summary>connect(2). FastNtp.Interop has no binding for it; a server never connects its sockets.</summary>
    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static unsafe partial int Connect(SafeHandle fd, byte* address, uint addressLength);
}

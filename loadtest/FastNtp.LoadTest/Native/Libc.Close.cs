using System.Runtime.InteropServices;

namespace FastNtp.LoadTest.Native;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}

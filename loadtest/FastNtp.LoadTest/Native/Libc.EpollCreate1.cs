using System.Runtime.InteropServices;

namespace FastNtp.LoadTest.Native;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial EpollHandle EpollCreate1(int flags);
}

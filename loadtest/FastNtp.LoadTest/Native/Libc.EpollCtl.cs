using System.Runtime.InteropServices;

namespace FastNtp.LoadTest.Native;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static unsafe partial int EpollCtl(EpollHandle epoll, int operation, int fd, void* epollEvent);
}

using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

internal static partial class Libc
{
    /// <summary><paramref name="epollEvent"/> points at an <see cref="EpollEventPacked"/> or <see cref="EpollEventAligned"/>, as the architecture wants.</summary>
    [LibraryImport(Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static unsafe partial int EpollCtl(SafeHandle epoll, int operation, SafeHandle fd, void* epollEvent);
}

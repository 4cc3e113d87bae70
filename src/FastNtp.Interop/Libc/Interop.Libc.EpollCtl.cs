using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary><paramref name="epollEvent"/> points at an <see cref="EpollEventPacked"/> or <see cref="EpollEventAligned"/>, as the architecture wants.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
        internal static unsafe partial int EpollCtl(SafeHandle epoll, int operation, SafeHandle fd, void* epollEvent);
    }
}

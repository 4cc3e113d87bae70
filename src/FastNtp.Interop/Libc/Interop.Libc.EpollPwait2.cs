using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>
        /// epoll_pwait2(2) (Linux 5.11): epoll_wait with a nanosecond timeout, so a paced sender can sleep until its
        /// next packet is due instead of spinning. A null timeout waits forever, a zero one only looks.
        /// </summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "epoll_pwait2", SetLastError = true)]
        internal static unsafe partial int EpollPwait2(SafeHandle epoll, void* events, int maxEvents, TimeSpec* timeout, void* signalMask);
    }
}

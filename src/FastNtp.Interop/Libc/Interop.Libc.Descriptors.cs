using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);

        internal const int O_RDONLY = 0;
        internal const int O_CLOEXEC = 0x80000;

        /// <summary>open(2) without O_CREAT: no mode argument.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        internal const short PollIn = 0x1;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            public int Fd;
            public short Events;
            public short ReturnedEvents;
        }

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "poll", SetLastError = true)]
        internal static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "epoll_create1", SetLastError = true)]
        internal static partial int EpollCreate1(int flags);

        /// <summary><paramref name="epollEvent"/> points at an <see cref="EpollEventPacked"/> or <see cref="EpollEventAligned"/>, as the architecture wants.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
        internal static unsafe partial int EpollCtl(SafeHandle epoll, int operation, SafeHandle fd, void* epollEvent);

        /// <summary>
        /// epoll_pwait2(2) (Linux 5.11): epoll_wait with a nanosecond timeout, so a paced sender can sleep until its
        /// next packet is due instead of spinning. A null timeout waits forever, a zero one only looks.
        /// </summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "epoll_pwait2", SetLastError = true)]
        internal static unsafe partial int EpollPwait2(SafeHandle epoll, void* events, int maxEvents, TimeSpec* timeout, void* signalMask);
    }
}

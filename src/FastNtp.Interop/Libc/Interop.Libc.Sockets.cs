using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        internal static partial int Socket(int domain, int type, int protocol);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
        internal static unsafe partial int Bind(SafeHandle fd, byte* address, uint addressLength);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "connect", SetLastError = true)]
        internal static unsafe partial int Connect(SafeHandle fd, byte* address, uint addressLength);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "getsockname", SetLastError = true)]
        internal static unsafe partial int GetSockName(SafeHandle fd, byte* address, uint* addressLength);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "getsockopt", SetLastError = true)]
        internal static unsafe partial int GetSockOpt(SafeHandle fd, int level, int name, void* value, uint* valueLength);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "setsockopt", SetLastError = true)]
        internal static unsafe partial int SetSockOpt(SafeHandle fd, int level, int name, void* value, uint valueLength);

        /// <summary>
        /// SO_ATTACH_REUSEPORT_CBPF (asm-generic/socket.h): a classic BPF program, passed as a
        /// <see cref="SockFprog"/> to setsockopt, that returns the index of the socket in a SO_REUSEPORT group
        /// which receives a datagram. An index past the group's end falls back to the kernel's own hash.
        /// </summary>
        internal const int SO_ATTACH_REUSEPORT_CBPF = 51;

        /// <summary>struct sock_filter (linux/filter.h): one classic BPF instruction, 8 bytes.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct SockFilter
        {
            public ushort Code;
            /// <summary>Instructions to skip when a conditional jump's test holds.</summary>
            public byte JumpTrue;
            /// <summary>Instructions to skip when it does not.</summary>
            public byte JumpFalse;
            public uint K;
        }

        /// <summary>struct sock_fprog (linux/filter.h): a program's length and instructions, 16 bytes on LP64.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct SockFprog
        {
            public ushort Length;
            public SockFilter* Filter;
        }

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "shutdown", SetLastError = true)]
        internal static partial int Shutdown(SafeHandle fd, int how);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
        internal static unsafe partial nint SendTo(SafeHandle fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "recvmmsg", SetLastError = true)]
        internal static unsafe partial int RecvMmsg(SafeHandle fd, MMsgHdr* messages, uint count, int flags, TimeSpec* timeout);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "sendmmsg", SetLastError = true)]
        internal static unsafe partial int SendMmsg(SafeHandle fd, MMsgHdr* messages, uint count, int flags);

        /// <summary>0 when no interface has that name.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint IfNameToIndex(string name);
    }
}

using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
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
    }
}

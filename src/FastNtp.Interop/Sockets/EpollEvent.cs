using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

// struct epoll_event is declared __attribute__((packed)) on x86-64 only (12 bytes, data at offset 4, for
// compatibility with 32-bit x86); arm64 and every other Linux architecture align it naturally (16 bytes, data
// at 8). A managed layout cannot depend on the architecture, so both exist and Epoll picks one at run time.
// FastNtp.Interop.Tests pins both and checks the one of this machine against the C compiler.

/// <summary>struct epoll_event as x86-64 lays it out.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct EpollEventPacked
{
    public uint Events;
    /// <summary>epoll_data_t: whatever the caller registered, returned with each event.</summary>
    public ulong Data;
}

/// <summary>struct epoll_event on arm64 (and every Linux architecture but x86-64).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EpollEventAligned
{
    public uint Events;
    public ulong Data;
}

/// <summary>epoll values from sys/epoll.h (the same on x86-64 and arm64).</summary>
internal static class EpollConstants
{
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLERR = 0x008;
}

using System.Runtime.InteropServices;
using static FastNtp.Interop.Sockets.EpollConstants;

namespace FastNtp.Interop.Sockets;

/// <summary>
/// An epoll instance (Linux) watching descriptors for input: one wait covers many sockets, and the wait has a
/// nanosecond timeout (epoll_pwait2), so a paced sender sleeps exactly until its next packet is due. Each
/// registered descriptor carries a caller-chosen 64-bit value that the wait hands back. Set-up calls throw
/// <see cref="NativeSocketException"/>; <see cref="Wait"/> allocates nothing. Not thread-safe: one per thread.
/// </summary>
public sealed unsafe class Epoll : IDisposable
{
    private readonly SafeFileDescriptor _fd;
    private readonly SafeNativeMemory _events;
    private readonly bool _packed;
    private readonly int _eventSize;

    /// <param name="capacity">Most events one <see cref="Wait"/> returns.</param>
    public Epoll(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 65536);
        if (!IsSupported) throw new PlatformNotSupportedException("Epoll needs Linux on x86-64 or arm64.");
        _packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        _eventSize = EventSize;
        int fd = Interop.Libc.EpollCreate1(EPOLL_CLOEXEC);
        if (fd < 0) throw NativeSocketException.FromLastError("epoll_create1");
        _fd = new SafeFileDescriptor(fd);
        Capacity = capacity;
        _events = new SafeNativeMemory((nuint)(capacity * _eventSize));
    }

    /// <summary>epoll_pwait2 appeared in Linux 5.11; the struct layouts here are the x86-64 and arm64 ones.</summary>
    public static bool IsSupported => UdpBatchSocket.IsSupported;

    /// <summary>sizeof(struct epoll_event) on this machine: 12 on x86-64 (packed), 16 elsewhere.</summary>
    public static int EventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64
        ? sizeof(EpollEventPacked)
        : sizeof(EpollEventAligned);

    public int Capacity { get; }

    /// <summary>Watches <paramref name="fd"/> for input; <paramref name="data"/> comes back with each of its events.</summary>
    public void Add(SafeFileDescriptor fd, ulong data)
    {
        ArgumentNullException.ThrowIfNull(fd);
        int result;
        if (_packed)
        {
            var ev = new EpollEventPacked { Events = EPOLLIN, Data = data };
            result = Interop.Libc.EpollCtl(_fd, EPOLL_CTL_ADD, fd, &ev);
        }
        else
        {
            var ev = new EpollEventAligned { Events = EPOLLIN, Data = data };
            result = Interop.Libc.EpollCtl(_fd, EPOLL_CTL_ADD, fd, &ev);
        }

        if (result != 0) throw NativeSocketException.FromLastError("epoll_ctl(EPOLL_CTL_ADD)");
    }

    /// <summary>Stops watching <paramref name="fd"/>.</summary>
    public void Remove(SafeFileDescriptor fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        // Linux ignores the event for EPOLL_CTL_DEL, but kernels before 2.6.9 wanted a non-null pointer.
        var ev = new EpollEventAligned();
        if (Interop.Libc.EpollCtl(_fd, EPOLL_CTL_DEL, fd, &ev) != 0) throw NativeSocketException.FromLastError("epoll_ctl(EPOLL_CTL_DEL)");
    }

    /// <summary>
    /// Waits until a watched descriptor has input or <paramref name="timeoutNanoseconds"/> pass (0: only look;
    /// negative: wait without limit). Returns how many events <see cref="DataAt"/> can read, 0 on timeout or
    /// when a signal interrupted the wait (EINTR).
    /// </summary>
    public int Wait(long timeoutNanoseconds)
    {
        TimeSpec timeout;
        TimeSpec* timeoutPointer = null;
        if (timeoutNanoseconds >= 0)
        {
            timeout.Seconds = Math.DivRem(timeoutNanoseconds, 1_000_000_000, out timeout.Nanoseconds);
            timeoutPointer = &timeout;
        }

        int n = Interop.Libc.EpollPwait2(_fd, _events.Pointer, Capacity, timeoutPointer, null);
        if (n >= 0) return n;
        Errno errno = NativeSocketException.LastErrno();
        if (errno == Errno.EINTR) return 0;
        throw new NativeSocketException("epoll_pwait2", errno);
    }

    /// <summary>The value registered with the descriptor of event <paramref name="index"/> of the last <see cref="Wait"/>.</summary>
    public ulong DataAt(int index)
    {
        if ((uint)index >= (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(index));
        byte* ev = _events.Pointer + (nint)index * _eventSize;
        return _packed ? ((EpollEventPacked*)ev)->Data : ((EpollEventAligned*)ev)->Data;
    }

    /// <summary>The event bits (EPOLLIN, EPOLLERR, …) of event <paramref name="index"/> of the last <see cref="Wait"/>.</summary>
    public uint EventsAt(int index)
    {
        if ((uint)index >= (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(index));
        byte* ev = _events.Pointer + (nint)index * _eventSize;
        return _packed ? ((EpollEventPacked*)ev)->Events : ((EpollEventAligned*)ev)->Events;
    }

    public void Dispose()
    {
        _fd.Dispose();
        _events.Dispose();
    }
}

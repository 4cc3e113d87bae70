using System.Runtime.InteropServices;

namespace FastNtp.LoadTest.Native;

/// <summary>Readiness of a load thread's client sockets: one epoll_wait instead of a recvmmsg per idle socket.</summary>
internal sealed unsafe class Epoll : IDisposable
{
    private readonly EpollHandle _handle;
    private readonly byte* _events;
    private readonly int _capacity;
    private bool _disposed;

    /// <summary>x86-64 packs struct epoll_event to 12 bytes; every other Linux architecture pads it to 16.</summary>
    public static int EventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    public Epoll(int capacity)
    {
        _handle = Libc.EpollCreate1(NativeConstants.EpollCloexec);
        if (_handle.IsInvalid) throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        _capacity = capacity;
        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * EventSize));
    }

    public void Add(int fd, ulong data)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = NativeConstants.EpollIn;
        // The data union sits right after the 4-byte events field when packed, at offset 8 otherwise.
        *(ulong*)(ev + EventSize - 8) = data;
        if (Libc.EpollCtl(_handle, NativeConstants.EpollCtlAdd, fd, ev) != 0)
            throw new IOException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits up to <paramref name="timeoutNanoseconds"/> (0: just look); the count of ready sockets, 0 on EINTR.</summary>
    public int Wait(long timeoutNanoseconds)
    {
        TimeSpec timeout;
        timeout.Seconds = Math.DivRem(Math.Max(0, timeoutNanoseconds), 1_000_000_000, out timeout.Nanoseconds);
        int n = Libc.EpollPwait2(_handle, _events, _capacity, &timeout, null);
        if (n >= 0) return n;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == NativeConstants.EIntr) return 0;
        throw new IOException($"epoll_pwait2 failed: errno {errno}");
    }

    public ulong DataAt(int index) => *(ulong*)(_events + index * EventSize + EventSize - 8);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _handle.Dispose();
        NativeMemory.Free(_events);
    }
}

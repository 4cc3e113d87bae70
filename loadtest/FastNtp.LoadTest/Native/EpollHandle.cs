using Microsoft.Win32.SafeHandles;

namespace FastNtp.LoadTest.Native;

/// <summary>An epoll instance's file descriptor, closed when released.</summary>
internal sealed class EpollHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public EpollHandle() : base(ownsHandle: true)
    {
    }

    // fd 0 is stdin and never what epoll_create1 returns while stdin is open, so "zero is invalid" is safe here.
    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}

using System.Runtime.InteropServices;

namespace FastNtp.LoadTest.Native;

// FastNtp.Interop has no epoll binding yet; these few lines follow its style (one file per call) until it does.
internal static class NativeConstants
{
    public const int EpollCloexec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const uint EpollIn = 0x001;
    public const int EIntr = 4;
}

/// <summary>struct timespec on LP64 Linux.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}

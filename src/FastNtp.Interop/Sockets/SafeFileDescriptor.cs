using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

/// <summary>Owns a Linux file descriptor and closes it exactly once.</summary>
public sealed class SafeFileDescriptor : SafeHandle
{
    public SafeFileDescriptor() : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    internal SafeFileDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle == new IntPtr(-1);

    protected override bool ReleaseHandle() => Interop.Libc.Close((int)handle) == 0;
}

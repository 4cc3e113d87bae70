using System.Runtime.InteropServices;

namespace FastNtp.Interop;

/// <summary>
/// Owns a BPF link descriptor. The kernel detaches the program when the last descriptor closes, which also
/// happens when the process dies however it dies: an attachment never outlives its owner.
/// </summary>
internal sealed class SafeBpfLinkHandle : SafeHandle
{
    public SafeBpfLinkHandle() : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    internal SafeBpfLinkHandle(int fd) : this()
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle == new IntPtr(-1);

    protected override bool ReleaseHandle() => Interop.Libc.Close((int)handle) == 0;
}

using System.Runtime.InteropServices;

namespace FastNtp.Interop;

/// <summary>Owns a shared mapping (mmap) and unmaps it exactly once.</summary>
internal sealed class SafeMappedMemoryHandle : SafeHandle
{
    private readonly nuint _length;

    internal SafeMappedMemoryHandle(nint address, nuint length) : base(IntPtr.Zero, ownsHandle: true)
    {
        _length = length;
        SetHandle(address);
    }

    public override bool IsInvalid => handle == IntPtr.Zero || handle == new IntPtr(-1);

    protected override bool ReleaseHandle() => Interop.Libc.Munmap(handle, _length) == 0;
}

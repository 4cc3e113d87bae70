using System.Runtime.InteropServices;

namespace FastNtp.Interop;

/// <summary>Owns a libbpf bpf_object: closing it unloads its programs and maps unless a link still holds them.</summary>
internal sealed class SafeBpfObjectHandle : SafeHandle
{
    public SafeBpfObjectHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Bpf.ObjectClose(handle);
        return true;
    }
}

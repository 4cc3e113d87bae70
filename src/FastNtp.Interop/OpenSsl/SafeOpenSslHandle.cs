using Microsoft.Win32.SafeHandles;

namespace FastNtp.Interop.OpenSsl;

/// <summary>One reference to an OpenSSL object, dropped with the object type's own free function.</summary>
internal abstract class SafeOpenSslHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    protected SafeOpenSslHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        Free(handle);
        return true;
    }

    protected abstract void Free(nint handle);
}

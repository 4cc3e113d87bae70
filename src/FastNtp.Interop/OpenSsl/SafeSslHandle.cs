using Microsoft.Win32.SafeHandles;

namespace FastNtp.Interop.OpenSsl;

/// <summary>An SSL connection object; freeing it also drops its references to the BIOs.</summary>
internal sealed class SafeSslHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeSslHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        Interop.Ssl.SSL_free(handle);
        return true;
    }
}

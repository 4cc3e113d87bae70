using Microsoft.Win32.SafeHandles;

namespace FastNtp.Interop.OpenSsl;

/// <summary>One reference to a BIO; the SSL object holds its own reference (BIO_up_ref before SSL_set_bio).</summary>
internal sealed class SafeBioHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeBioHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        Interop.Crypto.BIO_free(handle);
        return true;
    }
}

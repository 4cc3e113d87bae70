using Microsoft.Win32.SafeHandles;

namespace FastNtp.Interop.OpenSsl;

/// <summary>An SSL_CTX. Connections made from it hold their own OpenSSL reference, so it may be released while they run.</summary>
internal sealed class SafeSslContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeSslContextHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        Interop.Ssl.SSL_CTX_free(handle);
        return true;
    }
}

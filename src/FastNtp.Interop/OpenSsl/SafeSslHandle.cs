namespace FastNtp.Interop.OpenSsl;

/// <summary>An SSL connection object; freeing it also drops its references to the BIOs.</summary>
internal sealed class SafeSslHandle : SafeOpenSslHandle
{
    protected override void Free(nint handle) => Interop.Ssl.SSL_free(handle);
}

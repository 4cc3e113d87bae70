namespace FastNtp.Interop.OpenSsl;

/// <summary>An SSL_CTX. Connections made from it hold their own OpenSSL reference, so it may be released while they run.</summary>
internal sealed class SafeSslContextHandle : SafeOpenSslHandle
{
    protected override void Free(nint handle) => Interop.Ssl.SSL_CTX_free(handle);
}

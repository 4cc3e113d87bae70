namespace FastNtp.Interop.OpenSsl;

/// <summary>One reference to a BIO; the SSL object holds its own reference (BIO_up_ref before SSL_set_bio).</summary>
internal sealed class SafeBioHandle : SafeOpenSslHandle
{
    protected override void Free(nint handle) => Interop.Crypto.BIO_free(handle);
}

using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    /// <summary>Returns 0 on success, unlike most of OpenSSL.</summary>
    [LibraryImport(Libraries.Ssl)]
    internal static unsafe partial int SSL_set_alpn_protos(SafeSslHandle ssl, byte* protos, uint length);
}

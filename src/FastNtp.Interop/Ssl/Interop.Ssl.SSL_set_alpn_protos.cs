using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        /// <summary>Returns 0 on success, unlike most of OpenSSL.</summary>
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial int SSL_set_alpn_protos(SafeSslHandle ssl, byte* protos, uint length);
    }
}

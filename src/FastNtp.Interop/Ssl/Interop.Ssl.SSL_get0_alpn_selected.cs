using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial void SSL_get0_alpn_selected(SafeSslHandle ssl, byte** data, uint* length);
    }
}

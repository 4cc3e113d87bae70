using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_get_error(SafeSslHandle ssl, int ret);
    }
}

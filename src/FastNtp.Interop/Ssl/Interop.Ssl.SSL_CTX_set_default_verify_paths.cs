using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_CTX_set_default_verify_paths(SafeSslContextHandle ctx);
    }
}

using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static partial int SSL_CTX_set_default_verify_paths(SafeSslContextHandle ctx);
}

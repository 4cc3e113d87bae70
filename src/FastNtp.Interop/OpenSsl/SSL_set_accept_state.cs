using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static partial void SSL_set_accept_state(SafeSslHandle ssl);

    [LibraryImport(Libraries.Ssl)]
    internal static partial void SSL_set_connect_state(SafeSslHandle ssl);
}

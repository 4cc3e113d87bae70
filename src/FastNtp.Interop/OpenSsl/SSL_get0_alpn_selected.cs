using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static unsafe partial void SSL_get0_alpn_selected(SafeSslHandle ssl, byte** data, uint* length);
}

using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    /// <summary>The connection's verification parameters, owned by the SSL object.</summary>
    [LibraryImport(Libraries.Ssl)]
    internal static partial nint SSL_get0_param(SafeSslHandle ssl);
}

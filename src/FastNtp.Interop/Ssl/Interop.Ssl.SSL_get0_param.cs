using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        /// <summary>The connection's verification parameters, owned by the SSL object.</summary>
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint SSL_get0_param(SafeSslHandle ssl);
    }
}
